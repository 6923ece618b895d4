"""The local copy's SMTP server (aiosmtpd): it takes every mail the notifier hands over and keeps it
in a Maildir (``.flock/mail/``), where ``just mail`` reads it. Nothing leaves the machine.

``python -m scripts.devstack.mailserver --port 1025 --maildir .flock/mail``
"""

from __future__ import annotations

import argparse
import mailbox
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    args.maildir.parent.mkdir(parents=True, exist_ok=True)
    mailbox.Maildir(args.maildir, create=True)  # its cur/, new/ and tmp/
    controller = Controller(Mailbox(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
