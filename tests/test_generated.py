"""The generated files are what the generator writes from the committed document: CI fails when
regenerating would change them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Not tied to the Python version: make test runs these on the first supported Python only.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[1]


def test_generated_files_are_up_to_date() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate.py"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
