"""The property tests share proof_invariants.py (pytest's importlib mode does not put a
test directory on sys.path, so this conftest does)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
