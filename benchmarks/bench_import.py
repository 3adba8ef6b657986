"""Figure 1: cold import (time, max RSS) and cold start to the first response.

Besides the chat operation, openrouter-core is also imported with one other operation
(``funcs.models_list``), with every operation module of ``funcs/`` at once (listed when the
benchmark runs) and with each of those modules alone: one fresh interpreter per module and run
imports ``openrouter_core`` plus that one module, and the row "slowest single operation" shows
the largest of the per-module medians (the note names the module), against the same "≤ 1.10x
runtime deps" target as the chat row. Those per-module runs (``Config.op_import_runs`` each,
3 by default) are spread over the rounds of the other import variants' alternating loop, a slice
after each round, so they share the time windows (and the machine's load) of the runtime deps
row they are compared with. Memory after import has the target "≤ runtime deps" for the chat
row and the one-other-operation row.

Cold starts: a fresh interpreter imports, builds the client and gets one whole response:

- "cold start to 1st response": one non-streaming chat completion. Its floor is the same call
  written by hand on the package's own runtime stack ("hand-written on the stack", ``_HAND``):
  import httpx2, attrs, cattrs and returns, define four ``@attrs.define`` classes for the
  answer (ChatResponse, Choice, Message, Usage), POST with httpx2, ``json.loads`` the body,
  structure it with a ``cattrs.Converter()``, wrap it in ``returns.result.Success`` and print the
  content. Target for openrouter-core: ≤ 1.25x that floor; raw httpx2 and raw httpx (POST and
  ``json.loads`` only) stay beside it, and openrouter-core's note names its ratio to both;
- "cold start to 1st response, no bytecode cache": the same for the hand-written floor, raw
  httpx2 and openrouter-core, with no bytecode read or written: ``python -B`` with
  ``PYTHONDONTWRITEBYTECODE=1`` and ``PYTHONPYCACHEPREFIX`` set to a fresh empty directory per
  run (so the ``__pycache__`` directories are not looked at either): every module imported is
  compiled from source, as in a read-only image without .pyc files. Report only;
- "cold start to 1st streamed response": one streamed chat completion of
  ``COLD_STREAM_CHUNKS`` content chunks read to its end (every variant checks it got the
  ``COLD_STREAM_CHUNKS + 2`` data events: content, finish and usage chunks); report only;
- "cold start to 1st models_list response": one ``models_list`` call (``GET /models``);
  report only.

The floor of the last two is raw httpx2 (the transport openrouter-core ships on) doing the same
request and ``json.loads``; raw httpx doing the same stays beside it, and openrouter-core's row
names its ratio to raw httpx in its note. All the cold-start programs alternate together, run by
run.

Each measurement is a fresh interpreter (``sys.executable -c``), variants alternating run by
run; the figure is the median over the runs. One untimed run per variant first writes the
bytecode caches, so "cold" means a new process with warm disk caches, as in a serverless
function's second start. Import time is taken inside the child around the import statements
only (interpreter start-up is the same for everyone and left out); memory is the child's max RSS
right after the imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Collection
from contextlib import nullcontext

from _common import (
    API_KEY,
    HAND_STACK,
    OPENAI,
    OPENROUTER,
    OURS,
    PARAMS,
    RAW_HTTPX,
    RAW_HTTPX2,
    ROOT,
    Config,
    Row,
    Server,
    median,
    ratio_at_most,
    rotated,
    runtime_dependency_imports,
    stream_model,
)

IMPORT_TIME = "import time"
IMPORT_MEM = "memory after import"
COLD_START = "cold start to 1st response"
COLD_START_NO_PYC = "cold start to 1st response, no bytecode cache"
COLD_START_STREAM = "cold start to 1st streamed response"
COLD_START_MODELS = "cold start to 1st models_list response"
BARE = "bare interpreter"
DEPS = "runtime deps"
OURS_ONE_OP = "openrouter-core, one other operation"
OURS_SLOWEST_OP = "openrouter-core, slowest single operation"
OURS_ALL_OPS = "openrouter-core, every operation"
#: Content chunks of the streamed cold start: a short answer, as a chat UI's first reply.
COLD_STREAM_CHUNKS = 20


def operation_modules() -> list[str]:
    """``funcs.<name>`` for every operation module in funcs/ (not ``__init__`` or the shared
    ``_aliases``), sorted."""
    return sorted(
        f"funcs.{path.stem}"
        for path in (ROOT / "funcs").glob("*.py")
        if not path.stem.startswith("_")
    )


_DEPS = runtime_dependency_imports()
_OPS = operation_modules()
IMPORTS = {
    BARE: ("pass", ""),
    DEPS: ("import " + ", ".join(_DEPS), ", ".join(_DEPS)),
    RAW_HTTPX: ("import httpx", ""),
    RAW_HTTPX2: ("import httpx2", ""),
    OURS: ("import openrouter_core; import funcs.chat_send", "openrouter_core, funcs.chat_send"),
    OURS_ONE_OP: (
        "import openrouter_core; import funcs.models_list",
        "openrouter_core, funcs.models_list",
    ),
    OURS_ALL_OPS: (
        "import openrouter_core\n" + "".join(f"import {module}\n" for module in _OPS),
        f"openrouter_core + the {len(_OPS)} modules of funcs/",
    ),
    OPENAI: ("import openai", ""),
    OPENROUTER: ("import openrouter", ""),
}

# Peak RSS comes from VmHWM: unlike ru_maxrss, Linux resets it at exec, so the parent's size
# at fork time does not leak into the child's figure.
_PROBE = """\
import time
_c0 = time.process_time()
_t0 = time.perf_counter()
{stmt}
_t1 = time.perf_counter()
_c1 = time.process_time()
def _peak_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RESULT", _t1 - _t0, _peak_kib(), _c1 - _c0)
"""


def _raw_post(mod: str) -> str:
    """Raw ``mod`` (httpx or httpx2): one chat POST, the JSON body read with ``json.loads``."""
    return f"""\
import {mod}, json
client = {mod}.Client()
headers = {{"Authorization": "Bearer " + KEY}}
r = client.post(URL + "/chat/completions", json=PARAMS, headers=headers)
assert r.status_code == 200
json.loads(r.content)
"""


def _raw_stream(mod: str) -> str:
    """Raw ``mod``: one streamed chat POST read with ``iter_lines``, ``json.loads`` per data line
    (as the stream figure's raw floors)."""
    return f"""\
import {mod}, json
client = {mod}.Client()
body = {{**PARAMS, "model": STREAM_MODEL, "stream": True}}
headers = {{"Authorization": "Bearer " + KEY, "Accept": "text/event-stream"}}
n = 0
with client.stream("POST", URL + "/chat/completions", json=body, headers=headers) as r:
    assert r.status_code == 200
    for line in r.iter_lines():
        if line.startswith("data: ") and line != "data: [DONE]":
            json.loads(line[6:])
            n += 1
assert n == EVENTS, n
"""


def _raw_get(mod: str) -> str:
    """Raw ``mod``: one ``GET /models``, the JSON body read with ``json.loads``."""
    return f"""\
import {mod}, json
client = {mod}.Client()
headers = {{"Authorization": "Bearer " + KEY}}
r = client.get(URL + "/models", headers=headers)
assert r.status_code == 200
json.loads(r.content)
"""


# The chat call written by hand on openrouter-core's runtime stack: what the package does for
# one chat answer, with nothing but its four dependencies and a few lines of the caller's own.
_HAND = """\
import json

import attrs
import cattrs
import httpx2
from returns.result import Success


@attrs.define
class Message:
    role: str
    content: str | None = None


@attrs.define
class Choice:
    index: int
    message: Message
    finish_reason: str | None = None


@attrs.define
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@attrs.define
class ChatResponse:
    id: str
    model: str
    choices: list[Choice]
    usage: Usage | None = None


converter = cattrs.Converter()
client = httpx2.Client()
r = client.post(
    URL + "/chat/completions", json=PARAMS, headers={"Authorization": "Bearer " + KEY}
)
assert r.status_code == 200
result = Success(converter.structure(json.loads(r.content), ChatResponse))
print(result.unwrap().choices[0].message.content)
"""
HAND_NOTE = "httpx2 + attrs + cattrs + returns"

# Floor first: the hand-written call on the same stack; then raw httpx2, the transport
# openrouter-core ships on, and raw httpx.
_COLD = {
    HAND_STACK: _HAND,
    RAW_HTTPX2: _raw_post("httpx2"),
    RAW_HTTPX: _raw_post("httpx"),
    OURS: """\
from openrouter_core import OpenRouterCore
from funcs.chat_send import chat_send
core = OpenRouterCore(api_key=KEY, server_url=URL)
chat_send(core, PARAMS).unwrap()
""",
    OPENAI: """\
from openai import OpenAI
client = OpenAI(base_url=URL, api_key=KEY)
client.chat.completions.create(**PARAMS)
""",
    OPENROUTER: """\
from openrouter import OpenRouter
client = OpenRouter(api_key=KEY, server_url=URL)
client.chat.send(**PARAMS)
""",
}

# One whole streamed chat completion; every variant counts the data events it got, so none can
# stop early (or read a stream cut short) unnoticed.
_COLD_STREAM = {
    RAW_HTTPX2: _raw_stream("httpx2"),
    RAW_HTTPX: _raw_stream("httpx"),
    OURS: """\
from openrouter_core import OpenRouterCore
from funcs.chat_send import chat_send
core = OpenRouterCore(api_key=KEY, server_url=URL)
n = 0
with chat_send(core, {**PARAMS, "model": STREAM_MODEL}, stream=True).unwrap() as stream:
    for item in stream:
        item.unwrap()
        n += 1
assert n == EVENTS, n
""",
    OPENAI: """\
from openai import OpenAI
client = OpenAI(base_url=URL, api_key=KEY)
n = 0
with client.chat.completions.create(**{**PARAMS, "model": STREAM_MODEL}, stream=True) as stream:
    for chunk in stream:
        n += 1
assert n == EVENTS, n
""",
    OPENROUTER: """\
from openrouter import OpenRouter
client = OpenRouter(api_key=KEY, server_url=URL)
n = 0
with client.chat.send(**{**PARAMS, "model": STREAM_MODEL}, stream=True) as stream:
    for chunk in stream:
        n += 1
assert n == EVENTS, n
""",
}

# The same cold start for one non-chat operation: GET /models, no query, JSON body read.
_COLD_MODELS = {
    RAW_HTTPX2: _raw_get("httpx2"),
    RAW_HTTPX: _raw_get("httpx"),
    OURS: """\
from openrouter_core import OpenRouterCore
from funcs.models_list import models_list
core = OpenRouterCore(api_key=KEY, server_url=URL)
models_list(core).unwrap()
""",
}
# The chat cold start again, every module compiled from source (no bytecode read or written).
_COLD_NO_PYC = {name: _COLD[name] for name in (HAND_STACK, RAW_HTTPX2, OURS)}
#: Prefix of the names of the programs run without bytecode (see ``_run_child``).
NO_PYC = "no pyc: "
# (figure, programs, prefix of their names in one alternating set, floor, target of
# openrouter-core)
_COLD_FIGURES = (
    (
        COLD_START,
        _COLD,
        "",
        HAND_STACK,
        ("≤ 1.25x hand-written on the stack", ratio_at_most(1.25, HAND_STACK)),
    ),
    (COLD_START_NO_PYC, _COLD_NO_PYC, NO_PYC, HAND_STACK, None),
    (COLD_START_STREAM, _COLD_STREAM, "stream: ", RAW_HTTPX2, None),
    (COLD_START_MODELS, _COLD_MODELS, "models_list: ", RAW_HTTPX2, None),
)


def _run_child(
    code: str, env: dict[str, str], no_bytecode: bool = False
) -> tuple[float, float, float] | str:
    """(seconds, max RSS MiB, CPU seconds) printed by the child, or the child's error text.

    ``no_bytecode``: ``python -B`` with ``PYTHONDONTWRITEBYTECODE=1`` and ``PYTHONPYCACHEPREFIX``
    pointing at a fresh empty directory, so no .pyc is read (the prefix hides every
    ``__pycache__``) and none is written: every import compiles its module from source.
    """
    fresh = tempfile.TemporaryDirectory(prefix="bench-nopyc-") if no_bytecode else nullcontext("")
    with fresh as empty:
        flags = []
        if no_bytecode:
            env = {**env, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty}
            flags = ["-B"]
        proc = subprocess.run(
            [sys.executable, *flags, "-c", code],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            _, seconds, rss_kib, cpu = line.split()
            return float(seconds), int(rss_kib) / 1024, float(cpu)
    lines = (proc.stderr or proc.stdout or f"exit {proc.returncode}").strip().splitlines()
    return lines[-1] if lines else f"exit {proc.returncode}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _measure(
    programs: dict[str, str],
    runs: int,
    spread: dict[str, str] | None = None,
    spread_runs: int = 0,
    no_bytecode: Collection[str] = (),
) -> tuple[dict[str, list[tuple[float, float, float]]], dict[str, str]]:
    """Samples of each program, and why the others failed.

    ``runs`` rounds; each round runs every program once, in an order rotated round by round,
    after one untimed run each (writes the .pyc, finds the broken ones); the programs named in
    ``no_bytecode`` run without any bytecode cache (``_run_child``), but their untimed run is an
    ordinary one, shared with any other program of the same code (it only finds the broken
    ones: a cache write is of no use to them). ``spread`` programs get
    ``spread_runs`` runs each, cut into ``runs`` slices, one slice after each round: so they
    meet the same load as the rounds' variants, without a round of their own for each run. They
    get no untimed run (the caller has one of ``programs`` import what they import); one that
    fails is reported like a broken program and not run again.
    """
    env = _env()
    missing: dict[str, str] = {}
    untimed: dict[str, tuple[float, float, float] | str] = {}
    for name, code in programs.items():  # untimed: writes .pyc, finds the broken ones
        if code not in untimed:
            untimed[code] = _run_child(code, env)
        result = untimed[code]
        if isinstance(result, str):
            missing[name] = result
    names = [name for name in programs if name not in missing]
    spread = spread or {}
    extra = list(spread)
    # Each pass over the spread programs starts at another point of the list, so no program is
    # always run at the start (or the end) of a round.
    jobs = [
        name
        for p in range(spread_runs)
        for name in rotated(extra, p * len(extra) // max(1, spread_runs))
    ]
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in [*names, *extra]}
    for run in range(runs):
        for name in rotated(names, run):
            result = _run_child(programs[name], env, name in no_bytecode)
            if isinstance(result, str):
                raise RuntimeError(f"{name}: {result}")
            samples[name].append(result)
        for name in jobs[run * len(jobs) // runs : (run + 1) * len(jobs) // runs]:
            if name in missing:
                continue
            result = _run_child(spread[name], env)
            if isinstance(result, str):
                missing[name] = result
                del samples[name]
            else:
                samples[name].append(result)
    return samples, missing


def _slowest_operation(
    samples: dict[str, list[tuple[float, float, float]]], missing: dict[str, str], runs: int
) -> Row:
    """The import time row of the slowest module of funcs/ imported alone (largest median).

    A module that failed to import makes the row n/a: "any single operation" is then unknown.
    """
    row = Row(IMPORT_TIME, OURS_SLOWEST_OP, None, "ms", False, DEPS)
    row.target, row.check = "≤ 1.10x runtime deps", ratio_at_most(1.1)
    broken = [module for module in _OPS if module in missing]
    if broken:
        row.note = f"{broken[0]}: {missing[broken[0]]}"[:60]
        return row
    medians = {
        module: median([s[0] for s in samples[module]]) for module in _OPS if samples.get(module)
    }
    if not medians:
        row.note = "not run"
        return row
    slowest = max(medians, key=medians.__getitem__)
    row.value = medians[slowest] * 1000
    row.cpu_us = median([s[2] for s in samples[slowest]]) * 1e6
    row.note = f"{slowest}; slowest of {len(medians)}, {runs} run{'s' if runs != 1 else ''} each"
    return row


def run_import(cfg: Config) -> list[Row]:
    programs = {name: _PROBE.format(stmt=stmt) for name, (stmt, _) in IMPORTS.items()}
    # The "every operation" program's untimed run writes the .pyc of every module of funcs/
    # before any of these runs.
    measured = _OPS
    if cfg.op_import_modules:
        measured = _OPS[:: max(1, len(_OPS) // cfg.op_import_modules)]
    singles = {
        module: _PROBE.format(stmt=f"import openrouter_core; import {module}")
        for module in measured
    }
    samples, missing = _measure(programs, cfg.import_runs, singles, cfg.op_import_runs)
    rows: list[Row] = []
    for figure, index, unit in ((IMPORT_TIME, 0, "ms"), (IMPORT_MEM, 1, "MiB")):
        for name, (_, what) in IMPORTS.items():
            if name == BARE and figure == IMPORT_TIME:
                continue  # nothing imported: only its memory is of interest
            note = what
            cpu_us = None
            if name in samples:
                values = [sample[index] for sample in samples[name]]
                value: float | None = median(values) * (1000 if index == 0 else 1)
                if figure == IMPORT_TIME:
                    cpu_us = median([sample[2] for sample in samples[name]]) * 1e6
            else:
                value, note = None, missing.get(name, "n/a")[:60]
            row = Row(figure, name, value, unit, False, DEPS, note=note, cpu_us=cpu_us)
            if name in (OURS, OURS_ONE_OP) and figure == IMPORT_TIME:
                row.target, row.check = "≤ 1.10x runtime deps", ratio_at_most(1.1)
            if name in (OURS, OURS_ONE_OP) and figure == IMPORT_MEM:
                row.target, row.check = "≤ runtime deps", ratio_at_most(1.0)
            rows.append(row)
            if name == OURS_ONE_OP and figure == IMPORT_TIME:
                rows.append(_slowest_operation(samples, missing, cfg.op_import_runs))
    return rows


def coldstart_runs(cfg: Config) -> int:
    """Runs per variant of the cold start figures: half the import runs, at least 2."""
    return max(2, cfg.import_runs // 2)


def run_coldstart(cfg: Config, server: Server) -> list[Row]:
    header = (
        f"URL = {server.base_url!r}\nKEY = {API_KEY!r}\nPARAMS = {PARAMS!r}\n"
        f"STREAM_MODEL = {stream_model(COLD_STREAM_CHUNKS)!r}\nEVENTS = {COLD_STREAM_CHUNKS + 2}\n"
    )
    programs = {
        prefix + name: _PROBE.format(stmt=header + body)
        for _, variants, prefix, _, _ in _COLD_FIGURES
        for name, body in variants.items()
    }
    no_bytecode = [name for name in programs if name.startswith(NO_PYC)]
    samples, missing = _measure(programs, coldstart_runs(cfg), no_bytecode=no_bytecode)
    rows: list[Row] = []
    for figure, variants, prefix, floor, target in _COLD_FIGURES:
        group: dict[str, Row] = {}
        for name in variants:
            key = prefix + name
            cpu_us = None
            if key in samples:
                value: float | None = median([s[0] for s in samples[key]]) * 1000
                cpu_us = median([s[2] for s in samples[key]]) * 1e6
                note = HAND_NOTE if name == HAND_STACK else ""
            else:
                value, note = None, missing.get(key, "n/a")[:60]
            row = Row(figure, name, value, "ms", False, floor, note=note, cpu_us=cpu_us)
            if name == OURS and target is not None:
                row.target, row.check = target
            group[name] = row
        # The raw transports that are not the floor stay in view in openrouter-core's note.
        ours = group.get(OURS)
        if ours is not None and ours.value:
            ratios = [
                f"{ours.value / raw.value:.2f}x {name}"
                for name in (RAW_HTTPX2, RAW_HTTPX)
                if name != floor and (raw := group.get(name)) is not None and raw.value
            ]
            ours.note = ", ".join(ratios)
        rows += group.values()
    return rows
