"""Shared pieces of the benchmark scripts: settings, the local server, rows and the table."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Variant names, used as row labels and as the keys of the ratio columns.
RAW_HTTPX = "raw httpx"
RAW_HTTPX2 = "raw httpx2"
OURS = "openrouter-core"
OURS_HTTPX2 = "openrouter-core + httpx2"
OURS_HTTPX = "openrouter-core + httpx"
#: The cold-start floor of the chat answer: the same call written by hand on the package's own
#: runtime stack (httpx2, attrs classes, a cattrs converter, returns' Success); bench_import.py.
HAND_STACK = "hand-written on the stack"
OPENAI = "openai"
OPENROUTER = "openrouter"
PEERS = (OPENAI, OPENROUTER)

#: The request every client sends (the same JSON body, up to key order).
MODEL = "openai/gpt-4o-mini"
MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Say hello in one short sentence."},
]
PARAMS: dict[str, object] = {
    "model": MODEL,
    "messages": MESSAGES,
    "temperature": 0.2,
    "max_completion_tokens": 64,
}
API_KEY = "sk-or-v1-benchmark"
#: The big real ``GET /models`` answer the bench server serves on its second route
#: (``/big/api/v1/models``, see server.py).
BIG_MODELS_FILE = ROOT / "tests" / "corpus" / "other" / "models-llm-openrouter-1.json"


# Import names of the distributions openrouter-core may depend on at run time (a distribution
# not listed imports as its name in lower case, "-" read as "_").
_IMPORT_NAMES = {
    "returns": "returns.result",
    "typing-extensions": "typing_extensions",
    "typing_extensions": "typing_extensions",
    "attrs": "attrs",  # the distribution also ships the older ``attr`` package; ``attrs`` is it
    "cattrs": "cattrs",
    "httpx2": "httpx2",
}


def runtime_dependency_imports() -> list[str]:
    """What importing the runtime dependencies means: from pyproject.toml's dependencies."""
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as file:
        requirements = tomllib.load(file).get("project", {}).get("dependencies", [])
    names = [m.group(0) for r in requirements if (m := re.match(r"[A-Za-z0-9_.\-]+", r))]
    if not names:
        return ["httpx2", "returns.result"]
    return [_IMPORT_NAMES.get(name.lower(), name.lower().replace("-", "_")) for name in names]


def stream_model(n: int) -> str:
    """The model name that makes the bench server stream ``n`` content chunks."""
    return f"bench/stream-{n}"


def project_on_path() -> None:
    """Make ``openrouter_core`` / ``funcs`` importable from the checkout."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    parts = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@dataclass
class Config:
    calls: int = 2000
    concurrency: int = 50
    stream_chunks: int = 20000
    import_runs: int = 15
    # Runs of each funcs/ module imported alone; about 100 modules, so a few runs each.
    op_import_runs: int = 3
    # How many of those modules are measured: 0 for all; a smoke run takes a spread sample.
    op_import_modules: int = 0
    reps: int = 5
    warmup: int = 30
    figures: tuple[str, ...] = (
        "import",
        "coldstart",
        "calls",
        "bigmodels",
        "stream",
        "rstream",
        "astream",
        "decoder",
        "wheel",
    )


@dataclass
class Row:
    """One line of the table: a figure measured for one variant."""

    figure: str
    variant: str
    value: float | None  # None: variant not available
    unit: str
    higher_is_better: bool
    floor: str  # the variant the "vs floor" column divides by ("": a row without ratios)
    note: str = ""
    cpu_us: float | None = None  # client CPU time per unit (call, chunk), microseconds
    target: str = ""  # human text, e.g. "<= 1.10x floor"
    check: Callable[[Row, dict[str, Row]], bool | None] | None = field(default=None, repr=False)


class Server:
    """The bench server in its own process, on an ephemeral port of 127.0.0.1."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.proc.kill()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.port = int(line[1])
        self.base_url = f"http://127.0.0.1:{self.port}/api/v1"
        self.url = f"{self.base_url}/chat/completions"
        # The second route: the same API, but ``GET /models`` answers the big real catalog.
        self.big_base_url = f"http://127.0.0.1:{self.port}/big/api/v1"

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ServerLoad:
    """Measure how busy the server was (CPU share of one core) over a block of work."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.samples: list[float] = []

    def __enter__(self) -> ServerLoad:
        self._cpu = self.server.cpu_seconds()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._wall
        if wall > 0:
            self.samples.append((self.server.cpu_seconds() - self._cpu) / wall)


def loadavg() -> str:
    """The 1-minute load average (other processes compete for the same cores)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def machine_info() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    return [
        f"- started: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average then: {loadavg()}",
        f"- machine: nproc={os.cpu_count()}, CPU {cpu}, {platform.system()} {platform.release()}",
        f"- python: {platform.python_implementation()} {platform.python_version()}"
        f" ({sys.executable})",
    ]


def project_revision() -> str:
    """The checkout the figures belong to: commit, and whether the client code was modified."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "openrouter_core", "funcs"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "- project: not a git checkout"
    state = " + uncommitted changes in openrouter_core/funcs" if dirty else ""
    return f"- project: openrouter-core at commit {sha}{state}"


def versions() -> str:
    from importlib import metadata

    names = [
        "httpx",
        "httpx2",
        "attrs",
        "cattrs",
        "returns",
        "openai",
        "openrouter",
        "httpx-sse",
        "pydantic",
    ]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    return "- packages: " + ", ".join(found)


def _fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def _fmt_cpu(cpu_us: float | None) -> str:
    if cpu_us is None:
        return ""
    if cpu_us >= 10_000:
        return f"{cpu_us / 1000:,.1f} ms"
    return f"{cpu_us:,.1f} µs"


def _ratio(row: Row, ref: Row | None) -> str:
    if row.value is None or ref is None or ref.value in (None, 0):
        return "n/a"
    assert ref.value is not None
    return f"{row.value / ref.value:.2f}x"


def render_table(rows: Sequence[Row]) -> tuple[str, list[str]]:
    """The markdown table and the list of failed targets."""
    by_figure: dict[str, dict[str, Row]] = {}
    for row in rows:
        by_figure.setdefault(row.figure, {})[row.variant] = row
    lines = [
        "| Figure | Variant | Value | vs floor | vs openai | vs openrouter | client CPU per unit "
        "| Target | Met |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    failed: list[str] = []
    for row in rows:
        group = by_figure[row.figure]
        verdict = ""
        if row.check is not None:
            ok = None if row.value is None else row.check(row, group)
            verdict = "n/a" if ok is None else ("yes" if ok else "**NO**")
            if ok is False:
                failed.append(f"{row.figure} / {row.variant}: target {row.target}")
        variant = f"{row.variant} ({row.note})" if row.note else row.variant
        ratios = (
            [_ratio(row, group.get(ref)) for ref in (row.floor, OPENAI, OPENROUTER)]
            if row.floor
            else ["", "", ""]
        )
        lines.append(
            f"| {row.figure} | {variant} | {_fmt_value(row.value, row.unit)} | "
            f"{' | '.join(ratios)} | {_fmt_cpu(row.cpu_us)} | {row.target} | {verdict} |"
        )
    return "\n".join(lines), failed


def ratio_at_most(
    limit: float, ref: str | None = None
) -> Callable[[Row, dict[str, Row]], bool | None]:
    """A check: value / value(ref or the row's floor) <= limit (lower is better)."""

    def check(row: Row, group: dict[str, Row]) -> bool | None:
        other = group.get(ref or row.floor)
        if row.value is None or other is None or not other.value:
            return None
        return row.value / other.value <= limit

    return check


def ratio_at_least(
    limit: float, refs: Sequence[str] | None = None
) -> Callable[[Row, dict[str, Row]], bool | None]:
    """A check: value / max(value of refs, default the floor) >= limit (higher is better)."""

    def check(row: Row, group: dict[str, Row]) -> bool | None:
        values = [
            r.value
            for name in (refs or [row.floor])
            if (r := group.get(name)) is not None and r.value
        ]
        if row.value is None or not values:
            return None
        return row.value / max(values) >= limit

    return check


def rotated(items: Sequence[str], i: int) -> list[str]:
    """``items`` rotated by ``i``, so each variant takes its turn at every position."""
    if not items:
        return []
    k = i % len(items)
    return [*items[k:], *items[:k]]
