"""``python -m gateway [serve|migrate|admin|notifier]``: run the gateway, bring its database up to date,
give an account a role (``admin promote USERNAME --role admin``), or run the notifier."""

from __future__ import annotations

import asyncio
import os
import sys

from servicekit import cli


def serve() -> None:
    """Serve the REST API with uvicorn until SIGTERM or SIGINT."""
    import uvicorn

    from gateway.settings import settings_from_environment

    settings = settings_from_environment()
    # Configured here, by the process, not by create_app: building the app has no side effects.
    cli.configure_logging(settings.log_level)
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level.lower(),  # uvicorn knows its levels in lower case only
        access_log=settings.access_log,
        timeout_graceful_shutdown=10,
        server_header=False,
    )


def migrate() -> None:
    """Apply the migrations not applied yet."""
    # Piccolo finds its configuration by module name; this one reads FLOCK_GATEWAY_DB_URL.
    os.environ["PICCOLO_CONF"] = "gateway.piccolo_conf"
    from piccolo.apps.migrations.commands.forwards import forwards

    asyncio.run(forwards(app_name="gateway", migration_id="all", fake=False))


def admin() -> None:
    """Staff administration from the server: ``admin promote USERNAME --role admin``."""
    from gateway.moderation.command_line import main

    code = main(sys.argv[2:])
    if code:
        sys.exit(code)


def notifier() -> None:
    """Run the notifier: notifications and mail from events, and the mail sender."""
    from gateway.notifier import serve as serve_notifier

    serve_notifier()


COMMANDS = {"serve": serve, "migrate": migrate, "admin": admin, "notifier": notifier}

if __name__ == "__main__":
    sys.exit(cli.main("gateway", COMMANDS, sys.argv[1:]))
