"""Where the local runner lives and keeps its data."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA_DIR = ROOT / ".flock"
PYTHON = sys.executable
