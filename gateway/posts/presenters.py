"""Posts and comments from the posts service, with their authors, as HTTP schemas."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from gateway.clients.posts import CommentRecord, PostRecord
from gateway.http.schemas import Author
from gateway.posts.schemas import Comment, CommentPage, Post, PostPage
from gateway.users.service import AccountSummary

_GONE = "[deleted]"


class AuthorDirectory(Protocol):
    """Where authors are looked up (``Accounts``)."""

    async def summaries(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, AccountSummary]: ...


def _author(author_id: uuid.UUID, authors: Mapping[uuid.UUID, AccountSummary]) -> Author:
    summary = authors.get(author_id)
    if summary is None:  # the account is gone; its content may outlive it briefly
        return Author(id=author_id, username=_GONE, display_name=_GONE)
    return Author(id=summary.id, username=summary.username, display_name=summary.display_name)


def post_view(post: PostRecord, authors: Mapping[uuid.UUID, AccountSummary]) -> Post:
    return Post(
        id=post.id,
        author=_author(post.author_id, authors),
        text=post.text,
        visibility=post.visibility,
        created_at=post.created_at,
        updated_at=post.updated_at,
        like_count=post.like_count,
        comment_count=post.comment_count,
        liked_by_me=post.liked_by_caller,
    )


def comment_view(comment: CommentRecord, authors: Mapping[uuid.UUID, AccountSummary]) -> Comment:
    return Comment(
        id=comment.id,
        post_id=comment.post_id,
        parent_id=comment.parent_id,
        author=_author(comment.author_id, authors),
        text=comment.text,
        created_at=comment.created_at,
        reply_count=comment.reply_count,
    )


async def post_views(accounts: AuthorDirectory, posts: Sequence[PostRecord]) -> list[Post]:
    """Posts with their authors, looked up in one query for the whole page."""
    authors = await accounts.summaries(post.author_id for post in posts)
    return [post_view(post, authors) for post in posts]


async def comment_views(accounts: AuthorDirectory, comments: Sequence[CommentRecord]) -> list[Comment]:
    """Comments with their authors, looked up in one query for the whole page."""
    authors = await accounts.summaries(comment.author_id for comment in comments)
    return [comment_view(comment, authors) for comment in comments]


async def post_page(
    accounts: AuthorDirectory, posts: Sequence[PostRecord], next_cursor: str | None
) -> PostPage:
    """A page of posts with their authors."""
    return PostPage(items=await post_views(accounts, posts), next_cursor=next_cursor)


async def comment_page(
    accounts: AuthorDirectory, comments: Sequence[CommentRecord], next_cursor: str | None
) -> CommentPage:
    """A page of comments with their authors."""
    return CommentPage(items=await comment_views(accounts, comments), next_cursor=next_cursor)
