"""Command-line options shared by ``just seed`` and ``just bench``: argument types, and the plan's sizes."""

from __future__ import annotations

import argparse
import dataclasses
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from scripts.devstack import DATA_DIR, running_system
from scripts.seeding.plan import SeedConfig

DEFAULT_URL = "http://127.0.0.1:8000"
URL_HELP = f"the gateway (default: the running `just up`'s, else {DEFAULT_URL})"


def at_least(minimum: int) -> Callable[[str], int]:
    """An argument type: an integer no less than ``minimum``."""

    def parse(text: str) -> int:
        if int(text) < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return int(text)

    return parse


def fraction(text: str) -> float:
    """An argument type: a number from 0 to 1."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {text}")
    return value


def non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def loopback_url(text: str) -> str:
    """An argument type: ``http://127.0.0.1:PORT``. Only a local gateway trusts our X-Forwarded-For
    (one address per seeded account), and only a local one should take this load."""
    url = urllib.parse.urlsplit(text)
    if url.scheme != "http" or url.hostname != "127.0.0.1" or url.path not in {"", "/"}:
        raise argparse.ArgumentTypeError(f"expected http://127.0.0.1:PORT (a local Flock), got {text!r}")
    return f"http://127.0.0.1:{url.port or 80}"


@dataclasses.dataclass(frozen=True)
class Target:
    """The gateway a tool is about to fill, and how it was found (for the line it prints first)."""

    url: str
    found: str


def target(url: str | None, data_dir: Path = DATA_DIR) -> Target:
    """The gateway to fill: ``url`` (``--url``) if given; else the one the running ``just up`` recorded
    in ``data_dir``, on whatever port it was started; else the default port's."""
    if url is not None:
        return Target(url, "given by --url")
    running = running_system(data_dir)
    if running is None:
        return Target(DEFAULT_URL, f"no running `just up` recorded in {data_dir}; --url names another")
    try:
        recorded = loopback_url(running.gateway_url)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f"the running `just up` (pid {running.pid}): {error}; pass --url") from None
    return Target(recorded, f"the running `just up`, pid {running.pid}")


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def add_plan_options(parser: argparse.ArgumentParser, defaults: SeedConfig) -> None:
    """``--seed``, ``--users``, ``--posts``, ``--follows``, ``--private-share``, ``--comments``,
    ``--likes`` and ``--views``, with ``defaults``; :func:`config` reads them back."""
    option = parser.add_argument
    option("--seed", type=at_least(0), default=defaults.seed, help="same seed, same data")
    option("--users", type=at_least(1), default=defaults.users, metavar="N", help="accounts")
    option("--posts", type=at_least(0), default=defaults.posts, metavar="N", help="posts in all")
    option(
        "--follows", type=non_negative, default=defaults.follows, metavar="MEAN", help="follows per account"
    )
    option(
        "--private-share", type=fraction, default=defaults.private_share, metavar="F", help="private accounts"
    )
    option("--comments", type=at_least(0), default=defaults.comments, metavar="N", help="comments in all")
    option("--likes", type=at_least(0), default=defaults.likes, metavar="N", help="likes in all")
    option("--views", type=at_least(0), default=defaults.views, metavar="N", help="post reads in all")


def config(args: argparse.Namespace, namespace: str = "") -> SeedConfig:
    """The plan's sizes from options added by :func:`add_plan_options`."""
    return SeedConfig(
        seed=args.seed,
        users=args.users,
        posts=args.posts,
        follows=args.follows,
        private_share=args.private_share,
        comments=args.comments,
        likes=args.likes,
        views=args.views,
        namespace=namespace,
    )
