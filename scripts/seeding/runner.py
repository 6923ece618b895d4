"""Carry out a :class:`~scripts.seeding.plan.Plan` through the REST API, many requests at a time.

Phases, in order: accounts (register, or log in when the username is taken; profile and privacy),
follows, private accounts accepting their follow requests, posts, comments, likes, views. A re-run of
the same plan on the same system creates nothing twice: a taken username logs in, a repeated follow
answers 409 (fine), a post's ``Idempotency-Key`` answers the first post (for 24 hours), comments on a
post that already existed are matched with those it has, likes are idempotent, and views are only
recorded for posts this run created (a view is an event, not state: repeating it would count twice).
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx

from scripts.seeding.api import Account, Api, SeedError, expect, problem_code
from scripts.seeding.plan import CommentPlan, Plan, UserPlan

T = TypeVar("T")
Log = Callable[[str], None]
PROGRESS_EVERY_SECONDS = 2.0
MAX_FAILURES = 20  # then the phase stops: something is wrong with the system, not with one request
_FOLLOWED_ALREADY = frozenset({"already_following", "already_requested"})  # a re-run's follows


def log_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclasses.dataclass
class Seeded:
    """What a run seeded: ``accounts[i]`` is ``plan.users[i]`` (id and tokens), ``post_ids[i]`` is
    ``plan.posts[i]``'s id; ``counts`` says how much was new and how much was there already."""

    plan: Plan
    accounts: list[Account]
    post_ids: list[str]
    counts: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


async def each(
    label: str,
    items: Sequence[T],
    action: Callable[[T], Awaitable[None]],
    *,
    concurrency: int,
    log: Log = log_to_stderr,
) -> float:
    """``action(item)`` for every item, ``concurrency`` at a time, with progress every few seconds;
    the seconds it took. Raises :class:`SeedError` if any failed (after at most ``MAX_FAILURES``)."""
    pending = iter(items)  # shared by the workers: each takes the next item
    failures: list[BaseException] = []
    done = 0

    async def work() -> None:
        nonlocal done
        for item in pending:
            if len(failures) >= MAX_FAILURES:
                return
            try:
                await action(item)
            except (SeedError, httpx.HTTPError, KeyError, ValueError) as error:
                failures.append(error)
            done += 1

    async def report() -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY_SECONDS)
            log(f"  {label}: {done:,}/{len(items):,} ({time.perf_counter() - started:.0f} s)")

    started = time.perf_counter()
    reporter = asyncio.create_task(report())
    try:
        await asyncio.gather(*(work() for _ in range(max(1, min(concurrency, len(items))))))
    finally:
        reporter.cancel()
    seconds = time.perf_counter() - started
    if failures:
        raise SeedError(f"{label}: {len(failures)} failed (stopped at {done:,}); the first: {failures[0]}")
    if items:
        rate = len(items) / seconds if seconds else 0.0
        log(f"  {label}: {len(items):,} in {seconds:.1f} s ({rate:,.0f}/s)")
    return seconds


class _Run:
    """One run of a plan: the state the phases share."""

    def __init__(self, api: Api, plan: Plan, concurrency: int, log: Log) -> None:
        self.api = api
        self.plan = plan
        self.concurrency = concurrency
        self.log = log
        self.seeded = Seeded(
            plan,
            accounts=[api.account(user.username, user.index) for user in plan.users],
            post_ids=[""] * len(plan.posts),
        )
        self.replayed: set[int] = set()  # posts that existed before this run
        self.comment_ids: dict[int, str] = {}

    async def phase(self, label: str, items: Sequence[T], action: Callable[[T], Awaitable[None]]) -> None:
        self.seeded.seconds[label] = await each(
            label, items, action, concurrency=self.concurrency, log=self.log
        )

    async def user(self, user: UserPlan) -> None:
        account = self.seeded.accounts[user.index]
        new = await self.api.register(account, email=user.email, display_name=user.display_name)
        self.seeded.counts["users new" if new else "users existing"] += 1
        await self.api.login(account)
        # The profile change has a per-address limit too: the account's own address keeps it apart.
        body = {"display_name": user.display_name, "bio": user.bio, "is_private": user.private}
        response = await self.api.request(
            "PATCH", "/users/me", account=account, json=body, headers={"X-Forwarded-For": account.address}
        )
        expect(response, {200}, f"set the profile of {user.username}")

    async def follow(self, pair: tuple[int, int]) -> None:
        follower, followee = (self.seeded.accounts[index] for index in pair)
        response = await self.api.request("POST", f"/users/{followee.username}/follow", account=follower)
        if response.status_code == 409 and problem_code(response) in _FOLLOWED_ALREADY:
            self.seeded.counts["follows existing"] += 1
            return
        expect(response, {200}, f"follow {followee.username} as {follower.username}")
        self.seeded.counts["follows new"] += 1

    async def accept(self, owner: UserPlan) -> None:
        account = self.seeded.accounts[owner.index]
        response = await self.api.request("POST", "/users/me/follow-requests/accept-all", account=account)
        self.seeded.counts["requests accepted"] += int(
            expect(response, {200}, f"accept the requests of {owner.username}")["count"]
        )

    async def post(self, index: int) -> None:
        post = self.plan.posts[index]
        response = await self.api.request(
            "POST",
            "/posts",
            account=self.seeded.accounts[post.author],
            json={"text": post.text, "visibility": post.visibility},
            headers={"Idempotency-Key": post.key},
        )
        self.seeded.post_ids[index] = str(expect(response, {201}, "create a post")["id"])
        if response.headers.get("Idempotent-Replayed") == "true":
            self.replayed.add(index)
        self.seeded.counts["posts replayed" if index in self.replayed else "posts new"] += 1

    async def comments_of(self, comments: Sequence[CommentPlan]) -> None:
        """The comments of one post, in order (a reply needs its comment's id)."""
        post = comments[0].post
        known = await self._existing_comments(post) if post in self.replayed else {}
        for comment in comments:
            parent_id = self.comment_ids[comment.parent] if comment.parent is not None else None
            author = self.seeded.accounts[comment.author]
            matches = known.get((author.username, comment.text, parent_id))
            if matches:
                self.comment_ids[comment.index] = matches.pop(0)
                self.seeded.counts["comments existing"] += 1
                continue
            body: dict[str, Any] = {"text": comment.text}
            if parent_id:
                body["parent_id"] = parent_id
            # A comment has no idempotency key: one whose connection broke is not sent again.
            response = await self.api.request(
                "POST",
                f"/posts/{self.seeded.post_ids[post]}/comments",
                account=author,
                json=body,
                retry_lost=False,
            )
            self.comment_ids[comment.index] = str(expect(response, {201}, "comment")["id"])
            self.seeded.counts["comments new"] += 1

    async def _existing_comments(self, post: int) -> dict[tuple[str, str, str | None], list[str]]:
        """The comments a post has, by (author, text, parent id): read as its author, who sees them all."""
        author = self.seeded.accounts[self.plan.posts[post].author]
        path = f"/posts/{self.seeded.post_ids[post]}/comments"
        found: dict[tuple[str, str, str | None], list[str]] = collections.defaultdict(list)
        threads: list[str | None] = [None]
        while threads:
            parent = threads.pop()
            cursor = ""
            while True:
                params: dict[str, str | int] = {"limit": 100}
                params.update({"parent_id": parent} if parent else {})
                params.update({"cursor": cursor} if cursor else {})
                page = expect(
                    await self.api.request("GET", path, account=author, params=params), {200}, "list"
                )
                for item in page["items"]:
                    found[item["author"]["username"], item["text"], parent].append(str(item["id"]))
                    if parent is None and item.get("reply_count"):
                        threads.append(str(item["id"]))
                cursor = page.get("next_cursor") or ""
                if not cursor:
                    break
        return found

    async def like(self, pair: tuple[int, int]) -> None:
        user, post = pair
        response = await self.api.request(
            "PUT", f"/posts/{self.seeded.post_ids[post]}/like", account=self.seeded.accounts[user]
        )
        expect(response, {200}, "like a post")

    async def view(self, pair: tuple[int | None, int]) -> None:
        reader, post = pair
        account = None if reader is None else self.seeded.accounts[reader]
        response = await self.api.request("GET", f"/posts/{self.seeded.post_ids[post]}", account=account)
        expect(response, {200}, "read a post")


async def seed(api: Api, plan: Plan, *, concurrency: int = 16, log: Log = log_to_stderr) -> Seeded:
    """Seed ``plan`` through the API; what was seeded, with every account's id and tokens."""
    run = _Run(api, plan, concurrency, log)
    followed = {followee for _, followee in plan.follows}
    await run.phase("accounts", plan.users, run.user)
    await run.phase("follows", plan.follows, run.follow)
    await run.phase(
        "follow requests", [u for u in plan.users if u.private and u.index in followed], run.accept
    )
    await run.phase("posts", range(len(plan.posts)), run.post)
    threads: dict[int, list[CommentPlan]] = collections.defaultdict(list)
    for comment in plan.comments:
        threads[comment.post].append(comment)
    await run.phase("comments (by post)", list(threads.values()), run.comments_of)
    await run.phase("likes", plan.likes, run.like)
    views = [view for view in plan.views if view[1] not in run.replayed]
    run.seeded.counts["views skipped"] = len(plan.views) - len(views)
    await run.phase("views", views, run.view)
    run.seeded.counts["likes"] = len(plan.likes)
    run.seeded.counts["views new"] = len(views)
    return run.seeded
