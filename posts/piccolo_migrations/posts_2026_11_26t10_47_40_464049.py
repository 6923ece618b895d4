"""Indexes for the keyset queries and the cascades: composite and partial ones, which Piccolo's table
definitions cannot declare, and the one that goes with them.

Written by hand from Piccolo's empty-migration template (``piccolo migrations new posts``).
"""

from servicekit.migrations import index_migration

ID = "2026-11-26T10:47:40:464049"
VERSION = "1.38.0"
DESCRIPTION = "keyset indexes"

INDEXES = {
    # ListPosts: one author's posts, newest first.
    "posts_author_id_id": "posts (author_id, id)",
    # ListComments: a post's top-level comments oldest first (partial: an IS NULL condition in a
    # full index would not give rows in id order).
    "comments_top_level": "comments (post_id, id) WHERE parent_id IS NULL",
    # The cascade from a deleted post to all its comments.
    "comments_post_id": "comments (post_id)",
    # ListComments with a parent: its replies oldest first; also the cascade from a deleted comment.
    # Top-level comments (no parent) have no place in it.
    "comments_parent_id_id": "comments (parent_id, id) WHERE parent_id IS NOT NULL",
    # ListLikedPosts: one user's likes, most recent first.
    "likes_user_id_liked_at_post_id": "likes (user_id, liked_at, post_id)",
    # The relay's queue: what is not yet published, in order.
    "outbox_unpublished": "outbox (id) WHERE published_at IS NULL",
}


async def forwards():
    return index_migration(ID, "posts", DESCRIPTION, INDEXES)
