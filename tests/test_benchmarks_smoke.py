"""Smoke test of the benchmark scripts: a tiny run in this venv, peers possibly absent."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Not tied to the Python version: make test runs these on the first supported Python only.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
RUN_ALL = ROOT / "benchmarks" / "run_all.py"

FIGURES = (
    "import time",
    "memory after import",
    "cold start to 1st response",
    "sync calls",
    "async calls, concurrency 1",
    "async calls, concurrency 4",
    "stream chunks",
    "async stream chunks",
)
VARIANTS = ("raw httpx", "openrouter-core", "openai", "openrouter")


def _table_rows(output: str) -> dict[tuple[str, str], str]:
    """(figure, variant without its note) -> value cell, for every row of the table."""
    rows: dict[tuple[str, str], str] = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 9 or cells[0] in ("Figure", "---"):
            continue
        variant = re.sub(r" \(.*\)$", "", cells[1])
        rows[(cells[0], variant)] = cells[2]
    return rows


def test_quick_run_prints_the_whole_table() -> None:
    proc = subprocess.run(
        [sys.executable, str(RUN_ALL), "--quick", "--no-venv", "--output", "-"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ".bench-venv" not in proc.stderr  # --no-venv: no venv created or entered
    rows = _table_rows(proc.stdout)
    for figure in FIGURES:
        for variant in VARIANTS:
            assert (figure, variant) in rows, f"missing row {figure} / {variant}\n{proc.stdout}"
    # The floor itself always runs: httpx is a runtime dependency.
    for figure in (
        "sync calls",
        "async calls, concurrency 4",
        "stream chunks",
        "async stream chunks",
    ):
        assert rows[(figure, "raw httpx")] != "n/a", proc.stdout
    assert ("SSE decoder only", "bytes.split") in rows
    # The figures of the operations beyond chat.
    assert rows[("responses stream events", "raw httpx")] != "n/a", proc.stdout
    assert rows[("responses stream events", "openrouter-core")] != "n/a", proc.stdout
    # The chat cold start's floor: the call written by hand on the runtime stack (httpx2, attrs,
    # cattrs, returns), also with no bytecode cache; raw httpx2 beside it.
    stack = all(importlib.util.find_spec(name) for name in ("attrs", "cattrs"))
    for figure in ("cold start to 1st response", "cold start to 1st response, no bytecode cache"):
        assert (rows[(figure, "hand-written on the stack")] != "n/a") == stack, proc.stdout
        assert rows[(figure, "raw httpx2")] != "n/a", proc.stdout
        assert (figure, "openrouter-core") in rows, proc.stdout
    # The command line's cold start to its first byte, beside a raw httpx2 script and curl.
    for figure in (
        "CLI cold start to 1st byte, GET /models",
        "CLI cold start to 1st byte, streamed chat",
    ):
        assert rows[(figure, "raw httpx2 script")] != "n/a", proc.stdout
        assert rows[(figure, "openrouter-core CLI")] != "n/a", proc.stdout
        assert (rows[(figure, "curl")] != "n/a") == bool(shutil.which("curl")), proc.stdout
    # The big real answer (GET /models, 320 models) and the wheel's size.
    assert rows[("models_list, big real answer", "raw httpx2")] != "n/a", proc.stdout
    assert ("models_list, big real answer", "openrouter-core") in rows, proc.stdout
    wheel = rows[("wheel size", "openrouter-core")]
    assert (wheel != "n/a") == bool(importlib.util.find_spec("hatchling")), proc.stdout
    # The tool loop's own cost per turn, beside the same loop written by hand on chat_send.
    assert rows[("tool loop, per turn", "chat_send, hand-written loop")] != "n/a", proc.stdout
    assert rows[("tool loop, per turn", "call_model")] != "n/a", proc.stdout
    assert "Failed targets:" in proc.stdout
    assert "nproc=" in proc.stdout
