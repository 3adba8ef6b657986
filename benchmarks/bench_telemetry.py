"""Figure: what hooks and OpenTelemetry cost a call, and a fresh process's first response.

Variants, each in its own fresh interpreter (OpenTelemetry's providers are process-wide and set
once, so no two variants can share a process):

- "no OpenTelemetry, no hooks": the floor, openrouter-core as every other figure runs it;
- "a no-op result hook": ``OpenRouterCore(hooks=Hooks(result=...))``;
- "OpenTelemetry loaded, telemetry=False": the application imported ``opentelemetry`` (and the
  SDK) and set providers, and the core turns telemetry off;
- "OpenTelemetry loaded, no provider set": the application imported the API and set nothing;
- "tracer and meter providers set": the SDK's ``TracerProvider`` with a span processor that
  hands every span to an exporter that drops it, and a ``MeterProvider`` with an in-memory
  reader: every call makes its span and records its two histograms.

"telemetry: sync calls": ``calls`` chat completions per run after a warm-up, against the bench
server; runs alternate between the variants (``reps`` each), the figure is the median rate and
the client CPU per call. "telemetry: cold start to 1st response": a fresh interpreter imports
openrouter-core and makes one chat call; the application's own OpenTelemetry set-up (import and
providers) runs before the clock starts, as it is not this package's cost (so the modules it
shares with openrouter-core, such as ``typing_extensions``, are already loaded in those rows:
they may come out faster than the floor). Target: ``telemetry=False`` and no provider cost
nothing worth measuring (within 5% of the floor); the hook and the providers rows are reports
(what observing costs). A core without hooks, OpenTelemetry not loaded, is the floor itself: its
call pays one check (the other figures measure it).

The OpenTelemetry variants need ``opentelemetry-sdk`` in the interpreter; without it they are
"n/a".

Alone, with the current interpreter (``run_all.py --only telemetry`` runs it among the others)::

    python benchmarks/bench_telemetry.py --calls 2000 --reps 7 --no-cold
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from _common import (
    API_KEY,
    OURS,
    PARAMS,
    ROOT,
    Config,
    Row,
    Server,
    median,
    project_on_path,
    ratio_at_least,
    ratio_at_most,
    render_table,
    rotated,
)

CALLS_FIGURE = "telemetry: sync calls"
COLD_FIGURE = "telemetry: cold start to 1st response"

FLOOR = f"{OURS}, no OpenTelemetry, no hooks"
HOOK = f"{OURS}, a no-op result hook"
OFF = f"{OURS}, OpenTelemetry loaded, telemetry=False"
NO_PROVIDER = f"{OURS}, OpenTelemetry loaded, no provider set"
PROVIDER = f"{OURS}, tracer and meter providers set"

_SDK_SETUP = """\
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

class Drop(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS

tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(Drop()))
trace.set_tracer_provider(tracer_provider)
metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
"""

#: (the application's set-up, run before the clock; core arguments) per variant. The hook's
#: import is the package's own cost: it is timed.
VARIANTS: dict[str, tuple[str, str]] = {
    FLOOR: ("", ""),
    HOOK: ("", "hooks=__import__('openrouter_core.hooks').hooks.Hooks(result=lambda e: None)"),
    OFF: (_SDK_SETUP, "telemetry=False"),
    NO_PROVIDER: ("import opentelemetry.trace, opentelemetry.metrics\n", ""),
    PROVIDER: (_SDK_SETUP, ""),
}
_NEEDS_OTEL = {OFF, NO_PROVIDER, PROVIDER}

_CALLS = """\
import time
{setup}
from openrouter_core import OpenRouterCore
from funcs.chat_send import chat_send
core = OpenRouterCore(api_key={key!r}, server_url={url!r}, {args})
params = {params!r}
for _ in range({warmup}):
    chat_send(core, params).unwrap()
cpu = time.process_time()
start = time.perf_counter()
for _ in range({calls}):
    chat_send(core, params).unwrap()
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu
print("RESULT", {calls} / elapsed, cpu * 1e6 / {calls})
"""

_COLD = """\
import time
{setup}
_c0 = time.process_time()
_t0 = time.perf_counter()
from openrouter_core import OpenRouterCore
from funcs.chat_send import chat_send
core = OpenRouterCore(api_key={key!r}, server_url={url!r}, {args})
chat_send(core, {params!r}).unwrap()
print("RESULT", time.perf_counter() - _t0, time.process_time() - _c0)
"""


def _otel_present() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.sdk") is not None
    except ModuleNotFoundError:
        return False


def _child(code: str) -> tuple[float, float] | str:
    """The two numbers the child printed, or its error's last line."""
    env = dict(os.environ)
    env.pop("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            _, first, second = line.split()
            return float(first), float(second)
    lines = (proc.stderr or proc.stdout or f"exit {proc.returncode}").strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def _sample(
    template: str, server: Server, runs: int, *, untimed: bool = False, **extra: object
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, str]]:
    names = [n for n in VARIANTS if n not in _NEEDS_OTEL or _otel_present()]
    missing = {n: "opentelemetry-sdk not installed" for n in VARIANTS if n not in names}
    programs = {
        name: template.format(
            setup=setup,
            args=args,
            key=API_KEY,
            url=server.base_url,
            params=PARAMS,
            **extra,
        )
        for name, (setup, args) in VARIANTS.items()
        if name in names
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    if untimed:  # writes the bytecode caches, as the other cold starts' untimed run does
        for name in names:
            result = _child(programs[name])
            if isinstance(result, str):
                missing[name] = result
    for run in range(runs):
        for name in rotated(list(samples), run):
            if name in missing:
                continue
            result = _child(programs[name])
            if isinstance(result, str):
                missing[name] = result
                continue
            samples[name].append(result)
    return samples, missing


def _rows(
    figure: str,
    samples: dict[str, list[tuple[float, float]]],
    missing: dict[str, str],
    *,
    unit: str,
    scale: float,
    cpu_scale: float,
    higher_is_better: bool,
) -> list[Row]:
    rows = []
    for name in VARIANTS:
        got = samples.get(name) if name not in missing else None
        value = median([s[0] for s in got]) * scale if got else None
        cpu = median([s[1] for s in got]) * cpu_scale if got else None
        row = Row(
            figure,
            name,
            value,
            unit,
            higher_is_better,
            FLOOR,
            note="" if value is not None else missing.get(name, "n/a")[:60],
            cpu_us=cpu,
        )
        if name in (OFF, NO_PROVIDER):
            if higher_is_better:
                row.target, row.check = "≥ 0.95x no OpenTelemetry", ratio_at_least(0.95)
            else:
                row.target, row.check = "≤ 1.05x no OpenTelemetry", ratio_at_most(1.05)
        rows.append(row)
    return rows


def run_telemetry(cfg: Config, server: Server) -> list[Row]:
    return run_calls(cfg, server) + run_cold(cfg, server)


def run_calls(cfg: Config, server: Server) -> list[Row]:
    """The "telemetry: sync calls" rows."""
    # --quick (reps 2, import runs 2): one run each, a smoke run of every variant.
    runs = max(1, cfg.reps - 1)
    calls, missing = _sample(_CALLS, server, runs, calls=max(20, cfg.calls // 2), warmup=cfg.warmup)
    return _rows(
        CALLS_FIGURE,
        calls,
        missing,
        unit="calls/s",
        scale=1.0,
        cpu_scale=1.0,
        higher_is_better=True,
    )


def run_cold(cfg: Config, server: Server) -> list[Row]:
    """The "telemetry: cold start to 1st response" rows."""
    cold_runs = max(1, cfg.import_runs // 2)
    cold, missing = _sample(_COLD, server, cold_runs, untimed=cold_runs > 1)
    return _rows(
        COLD_FIGURE,
        cold,
        missing,
        unit="ms",
        scale=1000.0,
        cpu_scale=1e6,
        higher_is_better=False,
    )


def main(argv: list[str] | None = None) -> int:
    """This figure alone, against the bench server, with the current interpreter."""
    import argparse

    parser = argparse.ArgumentParser(
        description="What hooks and OpenTelemetry cost a call (the 'telemetry' rows of run_all)."
    )
    parser.add_argument(
        "--calls", type=int, default=2000, help="sizes a run: each child makes calls/2 calls"
    )
    parser.add_argument(
        "--reps", type=int, default=5, help="alternating runs of each variant: reps - 1"
    )
    parser.add_argument(
        "--import-runs", type=int, default=15, help="cold starts of each variant: import-runs/2"
    )
    parser.add_argument("--warmup", type=int, default=30, help="calls before the clock starts")
    parser.add_argument("--no-cold", action="store_true", help="the calls rows only")
    args = parser.parse_args(argv)
    project_on_path()
    cfg = Config(calls=args.calls, reps=args.reps, import_runs=args.import_runs, warmup=args.warmup)
    with Server() as server:
        rows = run_calls(cfg, server)
        if not args.no_cold:
            rows += run_cold(cfg, server)
    table, failed = render_table(rows)
    print(table)
    for line in failed:
        print(f"target not met: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
