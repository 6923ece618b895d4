"""``python -m gateway [serve|migrate]``: run the gateway, or bring its database up to date."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from gateway.settings import SettingsError


def serve() -> None:
    import uvicorn

    from gateway.settings import settings_from_environment

    settings = settings_from_environment()
    # Configured here, by the process, not by create_app: building the app has no side effects.
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=10,
        server_header=False,
    )


def migrate() -> None:
    # Piccolo finds its configuration by module name; this one reads FLOCK_GATEWAY_DB_URL.
    os.environ["PICCOLO_CONF"] = "gateway.piccolo_conf"
    from piccolo.apps.migrations.commands.forwards import forwards

    asyncio.run(forwards(app_name="gateway", migration_id="all", fake=False))


COMMANDS = {"serve": serve, "migrate": migrate}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "serve"
    if command not in COMMANDS:
        print(f"usage: python -m gateway [{'|'.join(COMMANDS)}]", file=sys.stderr)
        return 2
    try:
        COMMANDS[command]()
    except SettingsError as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 78  # EX_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
