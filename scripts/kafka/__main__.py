"""The command line of :mod:`scripts.kafka`: ``python -m scripts.kafka fetch|start|stop|run``."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import scripts.kafka
from scripts.kafka.jars import fetch, kafka_version
from scripts.kafka.server import KafkaServer


def _run_in_foreground(server: KafkaServer) -> int:
    stop_signal: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stop_signal.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _: stop_signal.append(signum))
    seconds = server.start(echo=True)
    print(f"Kafka {kafka_version()} ready on {server.bootstrap} in {seconds:.1f} s (data: {server.data_dir})")
    print(f"  FLOCK_KAFKA_BOOTSTRAP={server.bootstrap} just up\nCtrl-C stops it.", flush=True)
    try:
        while not stop_signal:
            if server.running_pid() is None:
                print(f"Kafka exited; see {server.log}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    finally:
        server.stop()
    print("Kafka stopped.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scripts.kafka fetch|start|stop|run``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.kafka",
        description=scripts.kafka.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="download the server jars into .flock/cache (once)")
    for name, text in (("start", "start in the background"), ("run", "run in the foreground")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--data-dir", type=Path, required=True)
        command.add_argument("--port", type=int, default=9092)
        command.add_argument("--controller-port", type=int, default=None)
    commands.add_parser("stop", help="stop the broker of a data folder").add_argument(
        "--data-dir", type=Path, required=True
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            libs = fetch(quiet=False)
            jars = list(libs.glob("*.jar"))
            size = sum(jar.stat().st_size for jar in jars) / 2**20
            print(f"Kafka {kafka_version()}: {len(jars)} jars, {size:.0f} MiB in {libs}")
            return 0
        if args.command == "stop":
            server = KafkaServer(args.data_dir, 0)
            if server.running_pid() is None:
                print(f"No Kafka runs on {server.data_dir}.")
                return 0
            server.stop()
            print("Kafka stopped.")
            return 0
        server = KafkaServer(args.data_dir, args.port, controller_port=args.controller_port)
        if args.command == "run":
            return _run_in_foreground(server)
        seconds = server.start()
    except RuntimeError as error:
        print(f"kafka: {error}", file=sys.stderr)
        return 1
    print(server.bootstrap)
    print(f"Kafka {kafka_version()} ready in {seconds:.1f} s (pid {server.running_pid()})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
