"""The seeder (``just seed``, ``scripts/seeding``): the plan's determinism and shape without a server,
then a tiny data set seeded twice into the session's real system, checked through the API."""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import os
import re
import statistics
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts import seed
from scripts.benchmark.load import mix, tables
from scripts.devstack.record import RunningSystem, record
from scripts.seeding import (
    PASSWORD,
    Account,
    SeedConfig,
    Seeded,
    client_address,
    fan_in_plan,
    make_plan,
    twin_readers_plan,
)
from scripts.seeding.options import Target, target
from scripts.seeding.plan import MAX_FOLLOWING, Plan, out_degrees, power_law_follows
from scripts.seeding.words import TOPICS
from tests.conftest import free_port

SMALL = SeedConfig(seed=7, users=300, posts=3000, follows=20, comments=600, likes=1500, views=1500)


@pytest.fixture(scope="module")
def small() -> Plan:
    return make_plan(SMALL)


# ---- the plan (pure) ----------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_plan_and_another_seed_another(small: Plan) -> None:
    assert make_plan(SMALL) == small
    other = make_plan(SeedConfig(**{**vars(SMALL), "seed": 8}))
    assert [user.username for user in other.users] != [user.username for user in small.users]
    assert other.follows != small.follows


def test_changing_one_size_leaves_accounts_graph_and_posts_as_they_were(small: Plan) -> None:
    fewer = make_plan(SeedConfig(**{**vars(SMALL), "comments": 0, "likes": 10, "views": 0}))
    assert (fewer.users, fewer.follows, fewer.posts) == (small.users, small.follows, small.posts)
    assert (len(fewer.comments), len(fewer.likes), len(fewer.views)) == (0, 10, 0)


def test_a_namespace_makes_other_accounts_and_other_post_keys() -> None:
    plain = make_plan(SeedConfig(users=20, posts=20))
    spaced = make_plan(SeedConfig(users=20, posts=20, namespace="bench"))
    assert not {user.username for user in plain.users} & {user.username for user in spaced.users}
    assert all("-bench-" in post.key for post in spaced.posts)


def test_usernames_are_valid_distinct_and_not_reserved(small: Plan) -> None:
    names = [user.username for user in small.users]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_]{3,30}", name) for name in names)
    assert not set(names) & {"me", "admin", "root", "flock", "api"}
    assert all(user.email == f"{user.username}@example.org" for user in small.users)


def test_the_follow_graph_has_the_mean_asked_for_and_no_self_or_repeated_follows() -> None:
    follows = power_law_follows(SeedConfig().rng("graph"), 2000, 30)
    assert len(set(follows)) == len(follows)
    assert all(follower != followee for follower, followee in follows)
    assert 27 <= len(follows) / 2000 <= 33


def test_followers_follow_a_power_law_a_few_accounts_have_most() -> None:
    follows = power_law_follows(SeedConfig().rng("graph"), 2000, 30)
    followers = collections.Counter(followee for _, followee in follows)
    counts = sorted((followers[user] for user in range(2000)), reverse=True)
    mean = len(follows) / 2000
    assert sum(counts[:20]) > 0.15 * len(follows)  # the top 1 % of accounts: over 15 % of follows
    assert counts[0] > 20 * mean
    assert statistics.median(counts) < 0.6 * mean  # the typical account has fewer than the mean


def test_follows_per_account_are_at_least_one_and_at_most_everyone_else() -> None:
    degrees = out_degrees(SeedConfig().rng("graph"), 50, 30)
    assert min(degrees) >= 1
    assert max(degrees) == 49  # a heavy tail, cut at everyone else
    assert max(out_degrees(SeedConfig().rng("graph"), 20_000, 3000)) <= MAX_FOLLOWING


def test_about_a_tenth_of_accounts_are_private(small: Plan) -> None:
    private = sum(user.private for user in small.users)
    assert 0.05 * 300 <= private <= 0.15 * 300


def test_posts_are_mostly_public_and_spread_by_a_power_law(small: Plan) -> None:
    visibilities = collections.Counter(post.visibility for post in small.posts)
    assert visibilities["public"] > 0.7 * len(small.posts)
    assert visibilities["followers"] > visibilities["private"] > 0
    by_author = collections.Counter(post.author for post in small.posts)
    assert by_author.most_common(1)[0][1] > 10 * len(small.posts) / len(small.users)


def test_texts_are_about_recurring_topics(small: Plan) -> None:
    assert all(0 < len(post.text) <= 5000 for post in small.posts)
    assert all(0 < len(comment.text) <= 2000 for comment in small.comments)
    tagged = collections.Counter(
        topic.tag for post in small.posts for topic in TOPICS if f"#{topic.tag}" in post.text
    )
    assert tagged[TOPICS[0].tag] > tagged[TOPICS[-1].tag] > 0  # some topics recur far more than others


def test_idempotency_keys_are_distinct_printable_and_short(small: Plan) -> None:
    keys = [post.key for post in small.posts]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[\x21-\x7e]{1,200}", key) for key in keys)


def test_everyone_who_comments_likes_or_reads_may_see_the_post(small: Plan) -> None:
    followers = small.followers()

    def may_see(user: int | None, post: int) -> bool:
        planned = small.posts[post]
        if user == planned.author or planned.visibility == "public":
            return True
        return planned.visibility == "followers" and user in followers[planned.author]

    assert all(may_see(comment.author, comment.post) for comment in small.comments)
    assert all(may_see(user, post) for user, post in small.likes)
    assert all(may_see(user, post) for user, post in small.views)
    assert all(small.posts[post].visibility == "public" for user, post in small.views if user is None)


def test_likes_are_distinct_and_replies_answer_an_earlier_comment_on_the_same_post(small: Plan) -> None:
    assert len(set(small.likes)) == len(small.likes) == 1500
    replies = [comment for comment in small.comments if comment.parent is not None]
    assert replies
    for reply in replies:
        assert reply.parent is not None
        parent = small.comments[reply.parent]
        assert parent.index < reply.index
        assert (parent.post, parent.parent) == (reply.post, None)


def test_engagement_goes_mostly_to_the_posts_of_popular_authors(small: Plan) -> None:
    followers = small.followers()
    liked_authors = [small.posts[post].author for _, post in small.likes]
    mean = statistics.mean(len(group) for group in followers)
    assert statistics.mean(len(followers[author]) for author in liked_authors) > 2 * mean


def test_the_fan_in_plan_is_one_reader_following_every_author() -> None:
    plan = fan_in_plan(3, authors=40, posts=500)
    assert plan.follows == [(0, author) for author in range(1, 41)]
    assert len(plan.posts) == 500
    assert {post.author for post in plan.posts} <= set(range(1, 41))
    assert not any(user.private for user in plan.users)
    assert (plan.comments, plan.likes, plan.views) == ([], [], [])
    with pytest.raises(ValueError, match="authors"):
        fan_in_plan(3, authors=MAX_FOLLOWING + 1, posts=1)


def test_the_twin_readers_plan_follows_the_same_authors_and_leaves_others_alone() -> None:
    plan = twin_readers_plan(3, authors=30, posts=400, others=50)
    assert len(plan.users) == 2 + 30 + 50
    assert sorted(plan.follows) == [(reader, author) for reader in (0, 1) for author in range(2, 32)]
    assert {post.author for post in plan.posts} <= set(range(2, 32))  # the others write nothing
    assert len(plan.posts) == 400
    assert not any(user.private for user in plan.users)
    assert (plan.comments, plan.likes, plan.views) == ([], [], [])
    assert twin_readers_plan(3, authors=30, posts=400, others=50) == plan  # the same on every run


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"users": 0}, "at least one user"),
        ({"posts": -1}, "no negative counts"),
        ({"private_share": 1.5}, "private_share"),
        ({"namespace": "Has Spaces"}, "namespace"),
    ],
)
def test_impossible_sizes_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SeedConfig(**overrides)  # type: ignore[arg-type]


def test_client_addresses_are_distinct_and_in_the_documentation_range() -> None:
    addresses = [client_address(0xBEEF, index) for index in range(1, 100)]
    assert len(set(addresses)) == len(addresses)
    documentation = ipaddress.IPv6Network("2001:db8::/32")
    assert all(ipaddress.IPv6Address(address) in documentation for address in addresses)
    assert addresses[0] == "2001:db8:beef::2"


# ---- the command line ---------------------------------------------------------------------------------


def test_seed_defaults_are_a_thousand_accounts_and_twenty_thousand_posts() -> None:
    args = seed.parse_args([])
    assert (args.url, args.seed, args.users, args.posts, args.follows) == (None, 1, 1000, 20_000, 30.0)
    assert (args.comments, args.likes, args.views, args.private_share) == (5000, 20_000, 20_000, 0.1)


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "http://example.org:8000"],
        ["--users", "0"],
        ["--posts", "-1"],
        ["--private-share", "2"],
        ["--follows", "-3"],
        ["--concurrency", "0"],
        ["--seed", "x"],
    ],
)
def test_bad_seed_arguments_are_refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        seed.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_the_summary_counts_what_was_seeded_and_names_accounts_to_try() -> None:
    plan = make_plan(SeedConfig(users=30, posts=100, follows=5, comments=10, likes=20, views=20))
    seeded = Seeded(plan, [Account(user.username, "2001:db8:1::1") for user in plan.users], ["x"] * 100)
    seeded.counts.update({"users new": 30, "posts new": 100, "views new": 20})
    seeded.seconds["accounts"] = 1.5
    text = seed.summary(seeded, "http://127.0.0.1:8000")
    assert "in 1.5 s" in text
    assert re.search(r"accounts\s+30\s+30 new, 0 there already", text)
    assert re.search(r"posts\s+100\s+100 new", text)
    assert PASSWORD in text
    most_followed = collections.Counter(followee for _, followee in plan.follows).most_common(1)[0][0]
    assert f'"username": "{plan.users[most_followed].username}"' in text


def test_a_given_url_is_the_gateway_filled(tmp_path: Path) -> None:
    record(tmp_path, RunningSystem(os.getpid(), "http://127.0.0.1:8123", {}))
    assert target("http://127.0.0.1:8001", tmp_path) == Target("http://127.0.0.1:8001", "given by --url")


def test_without_a_url_the_running_just_up_is_found_on_its_own_port(tmp_path: Path) -> None:
    record(tmp_path, RunningSystem(os.getpid(), "http://127.0.0.1:18000", {"API": "…"}))
    found = target(None, tmp_path)
    assert found.url == "http://127.0.0.1:18000"
    assert f"pid {os.getpid()}" in found.found


def test_without_a_running_just_up_the_default_url_is_named_with_the_reason(tmp_path: Path) -> None:
    record(tmp_path, RunningSystem(2**22 + 1, "http://127.0.0.1:18000", {}))  # above Linux's pid limit
    found = target(None, tmp_path)
    assert found.url == "http://127.0.0.1:8000"
    assert f"no running `just up` recorded in {tmp_path}" in found.found


def test_seeding_a_system_that_is_not_up_exits_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert seed.main(["--url", f"http://127.0.0.1:{free_port()}", "--users", "2", "--posts", "1"]) == 2
    assert "not reachable" in capsys.readouterr().err


# ---- against the real system --------------------------------------------------------------------------

TINY = SeedConfig(seed=11, users=12, posts=40, follows=4, comments=15, likes=30, views=20)


@pytest.fixture(scope="module")
def seeded_twice(gateway_url: str) -> tuple[Seeded, Seeded]:
    """The tiny plan seeded into the session's system, then again with the same seed."""
    plan = make_plan(TINY)
    first = asyncio.run(seed.run(gateway_url, plan, concurrency=4))
    return first, asyncio.run(seed.run(gateway_url, plan, concurrency=4))


def _following(plan: Plan) -> list[set[int]]:
    following: list[set[int]] = [set() for _ in plan.users]
    for follower, followee in plan.follows:
        following[follower].add(followee)
    return following


def _bearer(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}"}


@pytest.fixture
def api(gateway_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{gateway_url}/api/v1", timeout=10) as client:
        yield client


@pytest.mark.e2e
def test_a_second_run_with_the_same_seed_creates_nothing_new(seeded_twice: tuple[Seeded, Seeded]) -> None:
    first, second = seeded_twice
    follows = len(first.plan.follows)
    assert (first.counts["users new"], first.counts["follows new"], first.counts["posts new"]) == (
        12,
        follows,
        40,
    )
    assert (first.counts["comments new"], first.counts["views new"]) == (15, 20)
    assert (second.counts["users existing"], second.counts["follows existing"]) == (12, follows)
    assert (second.counts["posts replayed"], second.counts["comments existing"]) == (40, 15)
    assert second.counts["users new"] == second.counts["follows new"] == second.counts["posts new"] == 0
    assert second.counts["comments new"] == second.counts["views new"] == 0
    assert second.post_ids == first.post_ids
    assert [account.id for account in second.accounts] == [account.id for account in first.accounts]


@pytest.mark.e2e
def test_a_seeded_wall_shows_its_authors_public_posts(
    api: httpx.Client, seeded_twice: tuple[Seeded, Seeded]
) -> None:
    seeded = seeded_twice[1]
    posts = seeded.plan.posts
    author = collections.Counter(post.author for post in posts if post.visibility == "public").most_common(1)[
        0
    ][0]
    wall = api.get(f"/users/{seeded.accounts[author].username}/posts", params={"limit": 100}).json()
    public = {
        seeded.post_ids[post.index] for post in posts if post.author == author and post.visibility == "public"
    }
    # (Every planned public post; the mixed workload's test may have added more.)
    assert public <= {item["id"] for item in wall["items"]}
    assert {item["visibility"] for item in wall["items"]} == {"public"}


@pytest.mark.e2e
def test_seeded_follows_are_listed_once_each(api: httpx.Client, seeded_twice: tuple[Seeded, Seeded]) -> None:
    seeded = seeded_twice[1]
    plan, followers, following = seeded.plan, seeded.plan.followers(), _following(seeded.plan)
    public = [user for user in plan.users if not user.private]
    popular = max(public, key=lambda user: len(followers[user.index]))
    listed = api.get(f"/users/{popular.username}/followers", params={"limit": 100}).json()["items"]
    assert sorted(item["user"]["username"] for item in listed) == sorted(
        plan.users[follower].username for follower in followers[popular.index]
    )
    follower = max(public, key=lambda user: len(following[user.index]))
    listed = api.get(f"/users/{follower.username}/following", params={"limit": 100}).json()["items"]
    assert {item["user"]["username"] for item in listed} == {
        plan.users[f].username for f in following[follower.index]
    }
    for user in plan.users:  # private accounts are private, and accepted their requests (or had none)
        assert api.get(f"/users/{user.username}").json()["is_private"] is user.private


@pytest.mark.e2e
def test_a_seeded_feed_holds_the_posts_of_those_followed(
    api: httpx.Client, seeded_twice: tuple[Seeded, Seeded]
) -> None:
    seeded = seeded_twice[1]
    plan, following = seeded.plan, _following(seeded.plan)
    authors = collections.Counter(post.author for post in plan.posts)
    reader = max(range(len(plan.users)), key=lambda user: sum(authors[f] for f in following[user]))
    feed = api.get("/feed", params={"limit": 100}, headers=_bearer(seeded.accounts[reader])).json()["items"]
    assert feed
    allowed = {plan.users[user].username for user in following[reader] | {reader}}
    assert {item["author"]["username"] for item in feed} <= allowed
    times = [item["created_at"] for item in feed]
    assert times == sorted(times, reverse=True)


@pytest.mark.e2e
def test_two_runs_leave_each_post_with_its_planned_comments_and_likes_once(
    api: httpx.Client, seeded_twice: tuple[Seeded, Seeded]
) -> None:
    seeded = seeded_twice[1]
    plan = seeded.plan
    comments = collections.Counter(comment.post for comment in plan.comments)
    likes = collections.Counter(post for _, post in plan.likes)
    for index in {comments.most_common(1)[0][0], likes.most_common(1)[0][0]}:
        author = seeded.accounts[plan.posts[index].author]
        post = api.get(f"/posts/{seeded.post_ids[index]}", headers=_bearer(author)).json()
        assert (post["comment_count"], post["like_count"]) == (comments[index], likes[index])


@pytest.mark.e2e
def test_the_mixed_workload_runs_against_the_seeded_graph(
    gateway_url: str, seeded_twice: tuple[Seeded, Seeded]
) -> None:
    requests = mix.MixRequests(seeded_twice[1])
    samples, seconds = asyncio.run(mix.mixed_load(gateway_url, requests, workers=2, seconds=2, seed=1))
    rows = tables.mix_rows(mix.MIX, samples, seconds)
    assert 2 <= seconds < 10
    assert rows[-1].label == "all"
    assert rows[-1].requests == sum(row.requests for row in rows[:-1]) > 0
    assert [row.errors for row in rows] == [0, 0, 0, 0]
    assert rows[0].requests > rows[2].requests  # 60 % feeds against 10 % posts
