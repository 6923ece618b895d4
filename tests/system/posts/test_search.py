"""SearchPosts: full-text search ('english': stemmed, stop words ignored) over the posts the caller may
see, best match first and newest among equals, in keyset pages on (rank, id).

Every test searches for a made-up word of its own (``word()``), so other tests' posts never match.
"""

from __future__ import annotations

import grpc
import pytest

from idl.flock.posts.v1 import posts_pb2 as pb
from idl.flock.posts.v1 import posts_pb2_grpc
from tests.system.posts.factories import ANONYMOUS, PostsApi, caller, fails, follower, moderator, word
from tests.system.posts.paging import page_through


def test_a_post_that_says_the_word_more_often_ranks_first(api: PostsApi) -> None:
    w = word()
    twice = api.post(body=f"{w} alpha {w} gamma")
    once = api.post(body=f"{w} alpha beta gamma")  # as long, newer
    assert api.search(caller(), w) == [twice.id, once.id]


def test_a_shorter_post_ranks_above_a_longer_one(api: PostsApi) -> None:
    w = word()
    short = api.post(body=f"{w} alpha")
    long = api.post(body=f"{w} alpha beta gamma delta epsilon zeta eta theta")  # newer
    assert api.search(caller(), w) == [short.id, long.id]


def test_query_words_close_together_rank_above_words_far_apart(api: PostsApi) -> None:
    w = word()
    close = api.post(body=f"{w} lighthouse keeper stories told again and again today")
    far = api.post(body=f"{w} lighthouse stories told again and again today keeper")
    assert api.search(caller(), f"{w} lighthouse keeper") == [close.id, far.id]


def test_equal_matches_come_newest_first(api: PostsApi) -> None:
    w = word()
    made = [api.post(body=f"{w} the same words").id for _ in range(4)]
    assert api.search(caller(), w) == made[::-1]


def test_words_match_their_other_forms(api: PostsApi) -> None:
    w = word()
    post = api.post(body=f"{w}: my Cats were Running around the gardens")
    for query in ("cat", "cats", "CAT", "run", "runs", "garden", "cats running"):
        assert api.search(caller(), f"{w} {query}") == [post.id], query
    assert api.search(caller(), f"{w} dog") == []


def test_web_search_syntax_phrases_exclusions_and_or(api: PostsApi) -> None:
    w = word()
    banana = api.post(body=f"{w} apple banana")
    cherry = api.post(body=f"{w} apple cherry")
    assert set(api.search(caller(), f"{w} apple")) == {banana.id, cherry.id}
    assert api.search(caller(), f"{w} apple -banana") == [cherry.id]
    assert api.search(caller(), f'{w} "apple banana"') == [banana.id]
    assert api.search(caller(), f'{w} "banana apple"') == []
    assert set(api.search(caller(), f"{w} banana or cherry")) == {banana.id, cherry.id}
    assert set(api.search(caller(), f"{w} (( -- ' \" or")) == {banana.id, cherry.id}  # no syntax errors


def test_search_finds_only_what_the_caller_may_see(api: PostsApi) -> None:
    w = word()
    followed, other = caller(), caller()
    reader = follower(followed)
    public = api.post(other, body=f"{w} public")
    shared = api.followers_post(followed, body=f"{w} followers only")
    api.private_post(followed)  # without the word
    hidden = api.post(followed, body=f"{w} private", visibility=pb.VISIBILITY_PRIVATE)
    api.followers_post(other, body=f"{w} for the followers of someone else")
    own = api.post(reader, body=f"{w} my own private", visibility=pb.VISIBILITY_PRIVATE)

    assert set(api.search(reader, w)) == {public.id, shared.id, own.id}
    assert api.search(ANONYMOUS, w) == [public.id]
    assert api.search(pb.Caller(following=[followed.user_id]), w) == [public.id]
    assert {public.id, shared.id, hidden.id, own.id} <= set(api.search(moderator(), w))  # staff: all
    assert set(api.search(api.author_of(hidden), w)) == {public.id, shared.id, hidden.id}


def test_results_are_whole_posts_as_the_caller_sees_them(api: PostsApi) -> None:
    w = word()
    post = api.post(body=f"  {w} with a like  ")
    reader = caller()
    api.like(reader, post)
    api.comment(caller(), post)
    [found] = api.search_page(reader, w).posts
    assert (found.id, found.text, found.author_id) == (post.id, f"{w} with a like", post.author_id)
    assert (found.like_count, found.comment_count, found.liked_by_caller) == (1, 1, True)
    assert not api.search_page(ANONYMOUS, w).posts[0].liked_by_caller


def test_an_edited_post_is_found_by_its_new_words_and_a_deleted_one_not_at_all(
    api: PostsApi, stub: posts_pb2_grpc.PostsServiceStub
) -> None:
    old, new = word(), word()
    post = api.post(body=f"{old} first draft")
    author = api.author_of(post)
    stub.UpdatePost(pb.UpdatePostRequest(caller=author, post_id=post.id, text=f"{new} final"), timeout=5)
    assert (api.search(author, old), api.search(author, new)) == ([], [post.id])
    api.delete(author, post)
    assert api.search(author, new) == []


def test_paging_through_results_repeats_and_skips_nothing(api: PostsApi) -> None:
    w = word()
    filler = ["alpha", "beta", "gamma", "delta"]
    # Ranks of every kind: more or fewer occurrences, longer or shorter, and many exact ties.
    for i in range(30):
        body = " ".join([w] * (1 + i % 3) + filler[: i % 4] + ["tied"] * (i % 2))
        api.post(body=body)
    reader = caller()
    everything = api.search(reader, w)
    assert len(everything) == 30

    def fetch(token: str) -> tuple[list[str], str]:
        reply = api.search_page(reader, w, page_size=4, token=token)
        return [post.id for post in reply.posts], reply.next_page_token

    assert page_through(fetch) == everything


def test_a_page_token_keeps_its_place_when_better_matches_arrive(api: PostsApi) -> None:
    w = word()
    made = [api.post(body=f"{w} alpha beta gamma delta").id for _ in range(5)]
    reader = caller()
    first = api.search_page(reader, w, page_size=2)
    assert [post.id for post in first.posts] == made[:2:-1]
    api.post(body=f"{w} {w} {w}")  # ranks first, but belongs before the cursor
    rest = api.search_page(reader, w, page_size=10, token=first.next_page_token)
    assert [post.id for post in rest.posts] == made[2::-1]
    assert rest.next_page_token == ""


@pytest.mark.parametrize("query", ["the", "The of and", "to be or not to be", "!!!", "- ( )"])
def test_a_query_with_no_words_left_finds_nothing(api: PostsApi, query: str) -> None:
    api.post(body="the of and to be or not to be !!!")
    reply = api.search_page(caller(), query)
    assert (list(reply.posts), reply.next_page_token) == ([], "")


@pytest.mark.parametrize("query", ["", "   ", "x" * 201])
def test_an_empty_or_too_long_query_is_refused(api: PostsApi, query: str) -> None:
    fails(lambda: api.search_page(caller(), query), grpc.StatusCode.INVALID_ARGUMENT, "query")


def test_anonymous_callers_may_search(api: PostsApi) -> None:
    w = word()
    post = api.post(body=f"{w} for everyone")
    assert api.search(ANONYMOUS, f"  {w}  ") == [post.id]
