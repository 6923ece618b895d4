"""``python -m posts [serve|migrate]``: run the posts service, or bring its database up to date."""

from __future__ import annotations

import asyncio
import os
import sys

from servicekit import cli


def serve() -> None:
    """Serve until SIGTERM or SIGINT."""
    from posts.server import serve as serve_forever
    from posts.settings import load_settings

    asyncio.run(serve_forever(load_settings()))


def migrate() -> None:
    """Apply the migrations not applied yet."""
    # Piccolo finds its configuration by module name; this one reads FLOCK_POSTS_DB_URL.
    os.environ["PICCOLO_CONF"] = "posts.piccolo_conf"
    from piccolo.apps.migrations.commands.forwards import forwards

    asyncio.run(forwards(app_name="posts", migration_id="all", fake=False))


COMMANDS = {"serve": serve, "migrate": migrate}

if __name__ == "__main__":
    sys.exit(cli.main("posts", COMMANDS, sys.argv[1:]))
