"""The wheel's size: what ``pip install openrouter-core`` downloads, in MB (10^6 bytes).

The wheel is built from the checkout with this interpreter's pip and hatchling (the build
backend of pyproject.toml), without build isolation so nothing is downloaded:
``python -m pip wheel --no-deps --no-build-isolation -w <temp dir> .``. The row has no ratio and
no target; its note gives the file name, the number of files and the unpacked size. Without
hatchling in the environment (it is in benchmarks/requirements.txt and requirements-dev.txt) the
row is "n/a" with the reason.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from _common import OURS, ROOT, Config, Row

WHEEL_FIGURE = "wheel size"


def build_wheel(directory: Path) -> Path:
    """Build the project's wheel into ``directory``; its path (RuntimeError with pip's reason)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            str(directory),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    wheels = sorted(directory.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        lines = (proc.stderr or proc.stdout or f"exit {proc.returncode}").strip().splitlines()
        reasons = [line.strip() for line in lines if "error" in line.lower()] or lines
        raise RuntimeError(f"pip wheel failed: {reasons[-1] if reasons else proc.returncode}")
    return wheels[0]


def run_wheel(cfg: Config) -> list[Row]:
    del cfg  # one build: its size does not vary
    row = Row(WHEEL_FIGURE, OURS, None, "MB", False, floor="")
    try:
        import hatchling  # noqa: F401  (the build backend, needed without build isolation)
    except ImportError as exc:
        row.note = f"hatchling not importable: {exc}"[:60]
        return [row]
    with tempfile.TemporaryDirectory(prefix="bench-wheel-") as tmp:
        try:
            wheel = build_wheel(Path(tmp))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            row.note = str(exc)[:60]
            return [row]
        size = wheel.stat().st_size
        with zipfile.ZipFile(wheel) as archive:
            infos = archive.infolist()
        unpacked = sum(info.file_size for info in infos)
        row.value = size / 1e6
        row.note = f"{wheel.name}; {len(infos)} files, {unpacked / 1e6:.2f} MB unpacked"
    return [row]
