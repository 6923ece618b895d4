"""``python -m posts [serve|migrate]``: run the posts service, or bring its database up to date."""

from __future__ import annotations

import asyncio
import os
import sys

from posts.settings import SettingsError


def serve() -> None:
    from posts.server import serve as serve_forever
    from posts.settings import load_settings

    asyncio.run(serve_forever(load_settings()))


def migrate() -> None:
    # Piccolo finds its configuration by module name; this one reads FLOCK_POSTS_DB_URL.
    os.environ["PICCOLO_CONF"] = "posts.piccolo_conf"
    from piccolo.apps.migrations.commands.forwards import forwards

    asyncio.run(forwards(app_name="posts", migration_id="all", fake=False))


COMMANDS = {"serve": serve, "migrate": migrate}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command not in COMMANDS:
        print(f"usage: python -m posts [{'|'.join(COMMANDS)}]", file=sys.stderr)
        return 2
    try:
        COMMANDS[command]()
    except SettingsError as error:
        print(f"posts: {error}", file=sys.stderr)
        return 78  # EX_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
