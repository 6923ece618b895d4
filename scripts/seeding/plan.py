"""What to seed, decided up front and without a server: accounts, who follows whom, posts, comments,
likes and views (pure).

Every aspect draws from a ``random.Random`` of its own, seeded with the seed, the namespace and the
aspect's name, so one seed always gives one plan, and changing one size (``--comments``) leaves the
others (accounts, graph, posts) as they were. Nothing here reads the global ``random``.

The shapes follow what social networks look like:

- **Follows:** each account's number of follows is log-normal around ``follows`` (most follow a few
  dozen, some hundreds), and whom they follow is drawn by popularity, a Zipf law over a random ranking
  of the accounts: a few accounts have most of the followers, most have a handful.
- **Posts:** authors are drawn by a second Zipf law (a few prolific posters, a long quiet tail);
  mostly public, some for followers, few private. Private accounts post mostly for their followers.
- **Comments, likes, views:** posts are drawn by reach (their author's followers); each is done by
  someone who may see the post (a follower, mostly, for a followers-only post only), some views are
  anonymous, and some comments are replies.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import itertools
import math
import random
import re
from collections.abc import Sequence
from typing import Literal

from scripts.seeding import words

Visibility = Literal["public", "followers", "private"]
MAX_FOLLOWING = 5000  # the gateway's limit of follows per account
FOLLOW_EXPONENT = 1.0  # Zipf exponent of popularity: who gets followed
POSTING_EXPONENT = 0.9  # Zipf exponent of activity: who posts
OUT_DEGREE_SIGMA = 1.0  # spread of the log-normal number of follows per account
REPLY_SHARE = 0.3  # comments that answer an earlier comment on the same post
ANONYMOUS_VIEW_SHARE = 0.3  # views of public posts by readers who are not signed in
FOLLOWER_ENGAGEMENT_SHARE = 0.7  # engagement with a public post that comes from the author's followers
VISIBILITY_MIX: dict[bool, dict[Visibility, float]] = {  # by whether the author's account is private
    False: {"public": 0.85, "followers": 0.12, "private": 0.03},
    True: {"public": 0.25, "followers": 0.70, "private": 0.05},
}
_NAMESPACE = re.compile(r"^[a-z0-9]{0,16}$")


@dataclasses.dataclass(frozen=True)
class SeedConfig:
    """How much to seed. ``namespace`` keeps separate data sets (the benchmark's) apart."""

    seed: int = 1
    users: int = 1000
    posts: int = 20_000
    follows: float = 30.0  # mean follows per account
    private_share: float = 0.1
    comments: int = 5000
    likes: int = 20_000
    views: int = 20_000
    namespace: str = ""

    def __post_init__(self) -> None:
        if not _NAMESPACE.match(self.namespace):
            raise ValueError(f"namespace must be up to 16 lower-case letters or digits: {self.namespace!r}")
        if self.users < 1 or min(self.posts, self.comments, self.likes, self.views) < 0:
            raise ValueError("need at least one user, and no negative counts")
        if not 0 <= self.private_share <= 1 or self.follows < 0:
            raise ValueError("private_share must be in [0, 1] and follows not negative")

    def rng(self, aspect: str) -> random.Random:
        """The random source of one aspect of the plan."""
        return random.Random(f"flock-seed:{self.seed}:{self.namespace}:{aspect}")  # noqa: S311 - test data


@dataclasses.dataclass(frozen=True)
class UserPlan:
    index: int
    username: str
    display_name: str
    bio: str
    private: bool

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


@dataclasses.dataclass(frozen=True)
class PostPlan:
    index: int
    author: int
    text: str
    visibility: Visibility
    key: str  # Idempotency-Key: a repeat of this post within 24 h answers the first one


@dataclasses.dataclass(frozen=True)
class CommentPlan:
    index: int
    post: int
    author: int
    text: str
    parent: int | None  # the index of the comment this one answers


@dataclasses.dataclass(frozen=True)
class Plan:
    """Everything to seed; users, posts and comments are referred to by their index."""

    config: SeedConfig
    users: list[UserPlan]
    follows: list[tuple[int, int]]  # (follower, followee)
    posts: list[PostPlan]
    comments: list[CommentPlan]
    likes: list[tuple[int, int]]  # (user, post)
    views: list[tuple[int | None, int]]  # (reader, or None when anonymous; post)

    def followers(self) -> list[set[int]]:
        """Each user's followers, once every follow (and request) is accepted."""
        followers: list[set[int]] = [set() for _ in self.users]
        for follower, followee in self.follows:
            followers[followee].add(follower)
        return followers


# ---- distributions --------------------------------------------------------------------------------


def zipf_weights(rng: random.Random, count: int, exponent: float) -> list[float]:
    """A weight per item, ``1 / rank ** exponent`` for a random ranking of the items."""
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    return [rank**-exponent for rank in ranks]


def out_degrees(rng: random.Random, count: int, mean: float) -> list[int]:
    """How many accounts each of ``count`` accounts follows: log-normal with the given mean, at least
    one, at most everyone else (and the gateway's limit)."""
    if count < 2 or mean <= 0:
        return [0] * count
    mu = math.log(mean) - OUT_DEGREE_SIGMA**2 / 2  # so that the mean (before clipping) is ``mean``
    ceiling = min(count - 1, MAX_FOLLOWING)
    return [max(1, min(ceiling, round(rng.lognormvariate(mu, OUT_DEGREE_SIGMA)))) for _ in range(count)]


def sample_distinct(rng: random.Random, cumulative: Sequence[float], wanted: int, exclude: int) -> list[int]:
    """``wanted`` distinct indexes other than ``exclude``, drawn by weight (``cumulative`` sums)."""
    count = len(cumulative)
    wanted = min(wanted, count - (0 <= exclude < count))
    total = cumulative[-1]
    chosen: dict[int, None] = {}  # insertion-ordered, so the result is deterministic
    attempts = 0
    while len(chosen) < wanted and attempts < 20 * wanted:
        attempts += 1
        index = min(bisect.bisect_right(cumulative, rng.random() * total), count - 1)
        if index != exclude:
            chosen[index] = None
    if len(chosen) < wanted:  # nearly everyone wanted: the popular ones are taken, fill up uniformly
        rest = [index for index in range(count) if index != exclude and index not in chosen]
        chosen.update(dict.fromkeys(rng.sample(rest, wanted - len(chosen))))
    return list(chosen)


def power_law_follows(rng: random.Random, count: int, mean: float) -> list[tuple[int, int]]:
    """(follower, followee) pairs: log-normal out-degrees, followees drawn by Zipf popularity."""
    cumulative = list(itertools.accumulate(zipf_weights(rng, count, FOLLOW_EXPONENT)))
    return [
        (follower, followee)
        for follower, degree in enumerate(out_degrees(rng, count, mean))
        for followee in sample_distinct(rng, cumulative, degree, exclude=follower)
    ]


def _pick(rng: random.Random, cumulative: Sequence[float]) -> int:
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


# ---- the plan -------------------------------------------------------------------------------------


def plan_users(config: SeedConfig, count: int | None = None) -> list[UserPlan]:
    rng = config.rng("users")
    names = words.usernames(rng, config.users if count is None else count)
    return [
        UserPlan(
            index=index,
            username=name,
            display_name=words.display_name(name),
            bio=words.bio(rng),
            private=rng.random() < config.private_share,
        )
        for index, name in enumerate(names)
    ]


def plan_posts(config: SeedConfig, users: Sequence[UserPlan], authors: Sequence[int]) -> list[PostPlan]:
    """``config.posts`` posts by ``authors`` (indexes into ``users``), drawn by a Zipf law."""
    rng = config.rng("posts")
    cumulative = list(itertools.accumulate(zipf_weights(rng, len(authors), POSTING_EXPONENT)))
    posts = []
    for index in range(config.posts):
        author = authors[_pick(rng, cumulative)]
        mix = VISIBILITY_MIX[users[author].private]
        visibility = rng.choices(list(mix), weights=list(mix.values()))[0]
        text = words.post_text(rng)
        digest = hashlib.sha256(f"{visibility}\n{text}".encode()).hexdigest()[:12]
        namespace = f"-{config.namespace}" if config.namespace else ""
        key = f"flock-seed-{config.seed}{namespace}-post-{index}-{digest}"
        posts.append(PostPlan(index, author, text, visibility, key))
    return posts


class _Audience:
    """Who may see which post, and how to pick a post by reach and someone to engage with it."""

    def __init__(self, users: int, posts: Sequence[PostPlan], followers: Sequence[set[int]]) -> None:
        self.users = users
        self.posts = posts
        self.followers = [sorted(group) for group in followers]
        reach = {"public": 1.0, "followers": 0.5, "private": 0.0}
        self.cumulative = list(
            itertools.accumulate(
                reach[post.visibility] * (1 + len(self.followers[post.author])) ** 0.8 + 0.05
                for post in posts
            )
        )

    def post(self, rng: random.Random) -> PostPlan:
        return self.posts[_pick(rng, self.cumulative)]

    def engager(self, rng: random.Random, post: PostPlan) -> int:
        """Someone who may see ``post``: its author, a follower, or (for a public post) anyone."""
        followers = self.followers[post.author]
        if post.visibility == "private":
            return post.author
        if post.visibility == "followers" or (followers and rng.random() < FOLLOWER_ENGAGEMENT_SHARE):
            return rng.choice(followers) if followers else post.author
        return rng.randrange(self.users)


def plan_comments(config: SeedConfig, audience: _Audience) -> list[CommentPlan]:
    rng = config.rng("comments")
    comments: list[CommentPlan] = []
    threads: dict[int, list[int]] = {}  # post → its top-level comments so far
    for index in range(config.comments if audience.posts else 0):
        post = audience.post(rng)
        thread = threads.setdefault(post.index, [])
        parent = rng.choice(thread) if thread and rng.random() < REPLY_SHARE else None
        # Authors answer comments on their posts; otherwise anyone who may see the post.
        author = post.author if parent is not None and rng.random() < 0.5 else audience.engager(rng, post)
        comments.append(CommentPlan(index, post.index, author, words.comment_text(rng), parent))
        if parent is None:
            thread.append(index)
    return comments


def plan_likes(config: SeedConfig, audience: _Audience) -> list[tuple[int, int]]:
    rng = config.rng("likes")
    likes: dict[tuple[int, int], None] = {}
    attempts = 0
    while audience.posts and len(likes) < config.likes and attempts < 3 * config.likes + 100:
        attempts += 1
        post = audience.post(rng)
        likes[audience.engager(rng, post), post.index] = None
    return list(likes)


def plan_views(config: SeedConfig, audience: _Audience) -> list[tuple[int | None, int]]:
    rng = config.rng("views")
    views: list[tuple[int | None, int]] = []
    for _ in range(config.views if audience.posts else 0):
        post = audience.post(rng)
        anonymous = post.visibility == "public" and rng.random() < ANONYMOUS_VIEW_SHARE
        views.append((None if anonymous else audience.engager(rng, post), post.index))
    return views


def make_plan(config: SeedConfig) -> Plan:
    """The realistic data set: a power-law graph, and posts, comments, likes and views on it."""
    users = plan_users(config)
    follows = power_law_follows(config.rng("graph"), len(users), config.follows)
    return _with_posts(config, users, follows, authors=range(len(users)))


def fan_in_plan(seed: int, *, authors: int, posts: int, namespace: str = "feed") -> Plan:
    """One reader (user 0) following ``authors`` public accounts that wrote ``posts`` posts in all:
    the home feed's worst case. No comments, likes or views."""
    return _readers_plan(seed, readers=1, authors=authors, posts=posts, others=0, namespace=namespace)


def twin_readers_plan(seed: int, *, authors: int, posts: int, others: int, namespace: str = "blocks") -> Plan:
    """Two readers (users 0 and 1) following the same ``authors`` public accounts (users 2 onwards)
    that wrote ``posts`` posts in all, and ``others`` accounts (the last ones) that neither follows
    and that write nothing: what one reader blocks or mutes while the other does not. Both readers
    then read the same feed and walls. No comments, likes or views."""
    return _readers_plan(seed, readers=2, authors=authors, posts=posts, others=others, namespace=namespace)


def _readers_plan(seed: int, *, readers: int, authors: int, posts: int, others: int, namespace: str) -> Plan:
    """``readers`` accounts each following the same ``authors`` public accounts that wrote ``posts``
    posts, then ``others`` accounts that write nothing; in that order of index."""
    if not 1 <= authors <= MAX_FOLLOWING:
        raise ValueError(f"authors must be 1 to {MAX_FOLLOWING}, got {authors}")
    config = SeedConfig(
        seed=seed,
        users=readers + authors + others,
        posts=posts,
        private_share=0,
        comments=0,
        likes=0,
        views=0,
        namespace=namespace,
    )
    followed = range(readers, readers + authors)
    follows = [(reader, author) for reader in range(readers) for author in followed]
    return _with_posts(config, plan_users(config), follows, followed)


def _with_posts(
    config: SeedConfig, users: list[UserPlan], follows: list[tuple[int, int]], authors: Sequence[int]
) -> Plan:
    posts = plan_posts(config, users, authors)
    plan = Plan(config, users, follows, posts, [], [], [])
    audience = _Audience(len(users), posts, plan.followers())
    return dataclasses.replace(
        plan,
        comments=plan_comments(config, audience),
        likes=plan_likes(config, audience),
        views=plan_views(config, audience),
    )
