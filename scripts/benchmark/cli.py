"""The command line every benchmark starts from: its recipe's name and its package's docstring as the
help, laid out as written."""

from __future__ import annotations

import argparse


def argument_parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """A parser for the benchmark run by ``prog`` (``just bench-…``), described by ``description``."""
    return argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
