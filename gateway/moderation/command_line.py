"""``python -m gateway admin promote USERNAME --role admin|moderator|user``: give an account a role
from the server's command line. It is how the first admin is made; after that, admins change roles
through the API. It writes the same audit entry an admin's change would, with no actor (the command
line), and refuses to demote the last admin.

The database is the one ``FLOCK_GATEWAY_DB_URL`` names; without it, the one a ``just up`` running
from this checkout uses (it records it in ``.flock/run/system.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from gateway.moderation import audit
from gateway.settings import command_line_database_url
from gateway.users.service import normalize_username
from gateway.users.status import ROLES
from servicekit.database import Database

_LOCK = "SELECT id, role, status FROM users WHERE username = $1 FOR UPDATE"
_OTHER_ADMINS = "SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active' AND id <> $1"
_SET_ROLE = "UPDATE users SET role = $2, updated_at = now() WHERE id = $1"


async def promote(url: str, username: str, role: str) -> str:
    """Give ``username`` ``role``; what happened, in a sentence. Raises ``LookupError`` for an unknown
    account and ``ValueError`` for a change refused."""
    database = Database(url, pool_size=1)
    await database.open()
    try:
        async with database.transaction() as connection:
            row = await connection.fetchrow(_LOCK, normalize_username(username))
            if row is None or row["status"] == "deleted":
                raise LookupError(f"no account named {username!r}")
            if row["role"] == role:
                return f"{username} is {role} already"
            if row["role"] == "admin" and not await connection.fetchval(_OTHER_ADMINS, row["id"]):
                raise ValueError(f"{username} is the last admin: make another admin first")
            await connection.execute(_SET_ROLE, row["id"], role)
            await audit.record(
                connection,
                audit.COMMAND_LINE,
                "role_change",
                "account",
                row["id"],
                reason="python -m gateway admin promote",
                before={"role": row["role"]},
                after={"role": role},
            )
            return f"{username} is now {role} (was {row['role']})"
    finally:
        await database.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway admin", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    promote_parser = commands.add_parser("promote", help="give an account a role")
    promote_parser.add_argument("username")
    promote_parser.add_argument("--role", choices=ROLES, default="admin")
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(promote(command_line_database_url(), args.username, args.role)))
    except (LookupError, ValueError) as error:
        print(f"gateway admin: {error.args[0]}", file=sys.stderr)
        return 1
    return 0
