"""Run every benchmark in one go and print one markdown table of ratios.

openrouter-core beside the floor (raw ``httpx`` / ``httpx2`` + ``json.loads``; for imports, the
bare import of the runtime dependencies) and the peers (``openai``, the official ``openrouter``
package), all against the same local server (``benchmarks/server.py``, its own process on
127.0.0.1) on the same machine. The chat cold start takes as its floor the same call written by
hand on openrouter-core's own runtime stack (httpx2, attrs classes, a cattrs converter, returns'
``Success``), also measured with no bytecode cache at all; the other cold starts (streamed chat,
``models_list``) take raw ``httpx2``, the transport openrouter-core ships on; raw ``httpx`` stays
beside them. Also: ``models_list`` reading a big real answer (320 models) per second against raw
``httpx2`` + ``json.loads``, and the size of the wheel.

The peers are benchmark-only dependencies: unless ``--no-venv`` is given, this script creates
``.bench-venv`` with the exact versions of ``benchmarks/requirements.txt`` plus the project
(editable), and re-executes itself there. A variant whose package is missing prints "n/a".

    python benchmarks/run_all.py                 # full run (what ``make bench`` does)
    python benchmarks/run_all.py --quick --no-venv --output -   # seconds, current interpreter

Sizes: ``--calls`` (BENCH_CALLS), ``--concurrency`` (BENCH_CONCURRENCY), ``--stream-chunks``
(BENCH_STREAM_CHUNKS), ``--import-runs`` (BENCH_IMPORT_RUNS), ``--op-import-runs``
(BENCH_OP_IMPORT_RUNS: runs of each ``funcs/`` module imported alone), ``--reps`` (BENCH_REPS).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = ROOT / ".bench-venv"
REQUIREMENTS = HERE / "requirements.txt"
RESULTS = HERE / "results.md"
FIGURES = (
    "import",
    "coldstart",
    "cli",
    "calls",
    "bigmodels",
    "stream",
    "rstream",
    "astream",
    "reuse",
    "decoder",
    "tools",
    "wheel",
    "telemetry",
)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="openrouter-core vs raw httpx/httpx2, openai and openrouter, on one machine."
    )
    parser.add_argument("--calls", type=int, default=_env_int("BENCH_CALLS", 2000))
    parser.add_argument("--concurrency", type=int, default=_env_int("BENCH_CONCURRENCY", 50))
    parser.add_argument("--stream-chunks", type=int, default=_env_int("BENCH_STREAM_CHUNKS", 20000))
    parser.add_argument("--import-runs", type=int, default=_env_int("BENCH_IMPORT_RUNS", 15))
    parser.add_argument(
        "--op-import-runs",
        type=int,
        default=_env_int("BENCH_OP_IMPORT_RUNS", 3),
        help="runs of each funcs/ module imported alone (the slowest single operation row)",
    )
    parser.add_argument(
        "--op-import-modules",
        type=int,
        default=0,
        help="how many funcs/ modules that row measures, spread over them (default 0: all)",
    )
    parser.add_argument("--reps", type=int, default=_env_int("BENCH_REPS", 5))
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: a smoke run of every path in seconds"
    )
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated subset of {','.join(FIGURES)}",
    )
    parser.add_argument(
        "--no-venv",
        "--in-place",
        dest="no_venv",
        action="store_true",
        help="run with the current interpreter; skip .bench-venv",
    )
    parser.add_argument(
        "--output",
        default=str(RESULTS),
        help="where to write the markdown (default benchmarks/results.md; '-' for nowhere)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.concurrency, args.stream_chunks = 40, 4, 200
        args.import_runs, args.op_import_runs, args.reps = 2, 1, 2
        args.op_import_modules = 6
    unknown = set(args.only.split(",")) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figure(s) in --only: {sorted(unknown)}")
    return args


# --------------------------------------------------------------------------- .bench-venv


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def _in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv_and_reexec(argv: list[str]) -> None:
    """Create / refresh .bench-venv from the pins, then replace this process with its python."""
    stamp_text = hashlib.sha256(
        REQUIREMENTS.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    stamp = VENV / ".bench-installed"
    python = _venv_python()
    if not python.exists():
        print(f"creating {VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text() != stamp_text:
        print(f"installing {REQUIREMENTS.name} + the project into {VENV} ...", file=sys.stderr)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
        # Editable, without touching the pinned dependencies already installed.
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
        stamp.write_text(stamp_text)
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])


# --------------------------------------------------------------------------- the run


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not args.no_venv and not _in_bench_venv():
        ensure_venv_and_reexec(argv)

    import _common
    from _common import (
        Config,
        Server,
        ServerLoad,
        machine_info,
        project_revision,
        render_table,
        versions,
    )

    _common.project_on_path()
    cfg = Config(
        calls=args.calls,
        concurrency=args.concurrency,
        stream_chunks=args.stream_chunks,
        import_runs=args.import_runs,
        op_import_runs=args.op_import_runs,
        op_import_modules=args.op_import_modules,
        reps=args.reps,
        warmup=5 if args.quick else 30,
        figures=tuple(args.only.split(",")),
    )
    import bench_calls
    import bench_cli
    import bench_import
    import bench_stream
    import bench_telemetry
    import bench_tools
    import bench_wheel

    header = [*machine_info(), project_revision(), versions()]  # date and load at the start
    rows = []
    started = time.perf_counter()
    load_notes: list[str] = []

    def step(name: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {name} ...", file=sys.stderr, flush=True)

    if "import" in cfg.figures:
        step("cold import")
        rows += bench_import.run_import(cfg)
    with Server() as server:
        if "coldstart" in cfg.figures:
            step("cold start to first response")
            rows += bench_import.run_coldstart(cfg, server)
        if "cli" in cfg.figures:
            step("command line cold start to first byte")
            rows += bench_cli.run_cli(cfg, server)
        gc.collect()
        if "calls" in cfg.figures:
            load = ServerLoad(server)
            step(f"sync calls ({cfg.calls} per variant)")
            rows += bench_calls.run_sync(cfg, server, load)
            if load.samples:
                load_notes.append(
                    f"sync raw httpx: server used {max(load.samples):.0%} of one core at most"
                )
            load = ServerLoad(server)
            step(f"async calls ({cfg.calls} per variant, concurrency 1 and {cfg.concurrency})")
            rows += bench_calls.run_async(cfg, server, load)
            if load.samples:
                load_notes.append(
                    f"async raw httpx at concurrency {cfg.concurrency}: server used "
                    f"{max(load.samples):.0%} of one core at most"
                )
        if "bigmodels" in cfg.figures:
            blocks, block = bench_calls.big_plan(cfg)
            step(f"models_list of a big real answer ({blocks * block} calls per variant)")
            rows += bench_calls.run_big_models(cfg, server)
        if "stream" in cfg.figures:
            step(f"streaming ({cfg.stream_chunks} chunks)")
            rows += bench_stream.run_stream(cfg, server)
        if "rstream" in cfg.figures:
            step(f"responses streaming ({cfg.stream_chunks} text deltas)")
            rows += bench_stream.run_responses_stream(cfg, server)
        if "astream" in cfg.figures:
            step(f"async streaming ({cfg.stream_chunks} chunks)")
            rows += bench_stream.run_async_stream(cfg, server)
        if "reuse" in cfg.figures:
            step("back-to-back short streams")
            rows += bench_stream.run_stream_reuse(cfg, server)
        if "telemetry" in cfg.figures:
            step("hooks and OpenTelemetry: calls and cold start")
            rows += bench_telemetry.run_telemetry(cfg, server)
    if "decoder" in cfg.figures:
        step("SSE decoder only")
        rows += bench_stream.run_decoder(cfg)
    if "tools" in cfg.figures:
        step("tool loop per turn (call_model against chat_send, in-process fake)")
        rows += bench_tools.run_tools(cfg)
    if "wheel" in cfg.figures:
        step("wheel size (pip wheel)")
        rows += bench_wheel.run_wheel(cfg)
    step("done")

    table, failed = render_table(rows)
    command = "python benchmarks/run_all.py " + " ".join(argv)
    parts = [
        "## Benchmarks",
        "",
        f"Command: `{command.strip()}` (`make bench` runs it without flags)",
        "",
        *header,
        f"- sizes: calls={cfg.calls} per variant and figure (in "
        f"{bench_calls.block_plan(cfg)[0]} alternating blocks; big models_list answer: "
        f"{bench_calls.big_plan(cfg)[0] * bench_calls.big_plan(cfg)[1]} in "
        f"{bench_calls.big_plan(cfg)[0]} blocks), "
        f"concurrency={cfg.concurrency}, stream chunks={cfg.stream_chunks} "
        f"({bench_stream.stream_reps(cfg)} streams per variant), import runs={cfg.import_runs} "
        f"(each funcs/ module alone: {cfg.op_import_runs}; "
        f"cold start: {bench_import.coldstart_runs(cfg)})",
        *(f"- {note}" for note in load_notes),
        "",
        table,
        "",
        "Ratios are value / value of the reference row, so above 1 is better for rates "
        "(calls/s, chunks/s, events/s) and worse for times and memory. The floor is "
        "raw httpx (for the responses stream too: raw httpx iter_lines + json.loads; "
        "for imports: the runtime dependencies of pyproject.toml; "
        "for the chat cold start, with and without bytecode cache: the same call written by "
        "hand on the runtime stack (httpx2 POST, json.loads, four attrs classes structured by a "
        "cattrs Converter, wrapped in returns' Success), with raw httpx2 and raw httpx beside "
        "it and openrouter-core's ratios to them in its note; "
        "for the other two cold starts (streamed chat, models_list): raw httpx2, the "
        "transport openrouter-core ships on, doing the same request, with raw httpx beside it "
        "and openrouter-core's ratio to raw httpx in its note; "
        "for the big models_list answer: raw httpx2 client.get + json.loads; "
        "for the command line's cold start to its first byte of output: a raw httpx2 script "
        "doing the same request and printing what it got, with curl beside it; "
        "for the decoder: a bare bytes.split; the wheel size has no ratio). The cold start "
        "without bytecode cache runs python -B with PYTHONDONTWRITEBYTECODE=1 and "
        "PYTHONPYCACHEPREFIX set to a fresh empty directory per run: every module is compiled "
        "from source. Medians of alternating runs; the slowest single "
        "operation is the largest of the per-module medians (each funcs/ module imported alone "
        "with openrouter_core, in runs spread over the import rounds). "
        "Client CPU per unit is the measuring process's own CPU time (time.process_time; for "
        "imports and cold starts, the child's) per call, chunk or import: what the client "
        "costs, and less disturbed than the wall clock when other processes share the cores.",
        "",
        "Failed targets: " + ("; ".join(failed) if failed else "none"),
        "",
    ]
    text = "\n".join(parts)
    print(text)
    if args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"(written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
