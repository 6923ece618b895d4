"""The mail a local copy has sent (``just up`` keeps it in ``.flock/mail/``, a Maildir): newest first,
one line each, or one whole mail with ``--show N`` (1 is the newest).

``uv run just mail``, ``uv run just mail --to alice@example.org``, ``uv run just mail --show 1``
"""

from __future__ import annotations

import argparse
import email
import email.policy
import email.utils
import mailbox
import re
import sys
from email.message import EmailMessage
from pathlib import Path

from scripts.devstack.paths import DATA_DIR

_LINK = re.compile(r"https?://\S+")


def _messages(maildir: Path, to: str | None) -> list[EmailMessage]:
    box = mailbox.Maildir(maildir, factory=None, create=False)
    found: list[EmailMessage] = []
    for key in box.iterkeys():
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        if not isinstance(message, EmailMessage):  # the default policy always makes one
            continue
        if to is None or to.lower() in str(message["To"]).lower():
            found.append(message)
    found.sort(key=lambda message: email.utils.parsedate_to_datetime(str(message["Date"])), reverse=True)
    return found


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", type=Path, default=DATA_DIR / "mail")
    parser.add_argument("--to", help="only mail to this address")
    parser.add_argument("--show", type=int, metavar="N", help="print the N-th newest mail in full")
    parser.add_argument("--limit", type=int, default=20, help="how many to list (default 20)")
    args = parser.parse_args(argv)
    if not (args.maildir / "cur").is_dir():
        print(f"No mail yet in {args.maildir} (`just up` keeps what it sends there).")
        return 0
    messages = _messages(args.maildir, args.to)
    if args.show is not None:
        if not 1 <= args.show <= len(messages):
            print(f"There are {len(messages)} mails.", file=sys.stderr)
            return 2
        message = messages[args.show - 1]
        for header in ("Date", "From", "To", "Subject", "List-Unsubscribe"):
            if message[header]:
                print(f"{header}: {message[header]}")
        print()
        print(_text(message))
        return 0
    for number, message in enumerate(messages[: args.limit], start=1):
        links = _LINK.findall(_text(message))
        print(f"{number:>3}  {message['Date']}  {message['To']}  {message['Subject']}")
        for link in links[:2]:
            print(f"       {link}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
