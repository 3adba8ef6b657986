"""Figure 1: cold import (time, max RSS) and cold start to the first response.

Besides the chat operation, openrouter-core is also imported with one other operation
(``funcs.models_list``) and with every operation module of ``funcs/`` (listed when the benchmark
runs), and its cold start is also measured for one ``models_list`` call (``GET /models``) beside
raw httpx2 doing the same GET and ``json.loads``.

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

from _common import (
    API_KEY,
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
    absolute_at_most,
    median,
    ratio_at_most,
    rotated,
    runtime_dependency_imports,
)

IMPORT_TIME = "import time"
IMPORT_MEM = "memory after import"
COLD_START = "cold start to 1st response"
BARE = "bare interpreter"
DEPS = "runtime deps"
OURS_ONE_OP = "openrouter-core, one other operation"
OURS_ALL_OPS = "openrouter-core, every operation"
COLD_START_MODELS = "cold start to 1st models_list response"


def operation_modules() -> list[str]:
    """``funcs.<name>`` for every operation module in funcs/ (all but ``__init__``), sorted."""
    return sorted(
        f"funcs.{path.stem}" for path in (ROOT / "funcs").glob("*.py") if path.stem != "__init__"
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

_COLD = {
    RAW_HTTPX: """\
import httpx, json
client = httpx.Client()
r = client.post(URL + "/chat/completions", json=PARAMS, headers={"Authorization": "Bearer " + KEY})
assert r.status_code == 200
json.loads(r.content)
""",
    RAW_HTTPX2: """\
import httpx2, json
client = httpx2.Client()
r = client.post(URL + "/chat/completions", json=PARAMS, headers={"Authorization": "Bearer " + KEY})
assert r.status_code == 200
json.loads(r.content)
""",
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

# The same cold start for one non-chat operation: GET /models, no query, JSON body read.
_COLD_MODELS = {
    RAW_HTTPX2: """\
import httpx2, json
client = httpx2.Client()
r = client.get(URL + "/models", headers={"Authorization": "Bearer " + KEY})
assert r.status_code == 200
json.loads(r.content)
""",
    OURS: """\
from openrouter_core import OpenRouterCore
from funcs.models_list import models_list
core = OpenRouterCore(api_key=KEY, server_url=URL)
models_list(core).unwrap()
""",
}
_MODELS_KEY = "models_list: "  # prefix of their program names, so both sets alternate together


def _run_child(code: str, env: dict[str, str]) -> tuple[float, float, float] | str:
    """(seconds, max RSS MiB, CPU seconds) printed by the child, or the child's error text."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
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
    programs: dict[str, str], runs: int
) -> tuple[dict[str, list[tuple[float, float, float]]], dict[str, str]]:
    env = _env()
    missing: dict[str, str] = {}
    for name, code in programs.items():  # untimed: writes .pyc, finds the broken ones
        result = _run_child(code, env)
        if isinstance(result, str):
            missing[name] = result
    names = [name for name in programs if name not in missing]
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    for run in range(runs):
        for name in rotated(names, run):
            result = _run_child(programs[name], env)
            if isinstance(result, str):
                raise RuntimeError(f"{name}: {result}")
            samples[name].append(result)
    return samples, missing


def run_import(cfg: Config) -> list[Row]:
    programs = {name: _PROBE.format(stmt=stmt) for name, (stmt, _) in IMPORTS.items()}
    samples, missing = _measure(programs, cfg.import_runs)
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
            if name == OURS and figure == IMPORT_MEM:
                row.target, row.check = "≤ 27 MiB", absolute_at_most(27.0)
            rows.append(row)
    return rows


def run_coldstart(cfg: Config, server: Server) -> list[Row]:
    header = f"URL = {server.base_url!r}\nKEY = {API_KEY!r}\nPARAMS = {PARAMS!r}\n"
    programs = {name: _PROBE.format(stmt=header + body) for name, body in _COLD.items()}
    for name, body in _COLD_MODELS.items():
        programs[_MODELS_KEY + name] = _PROBE.format(stmt=header + body)
    samples, missing = _measure(programs, max(3, cfg.import_runs // 2))
    rows = []
    for figure, variants, prefix, floor in (
        (COLD_START, _COLD, "", RAW_HTTPX),
        (COLD_START_MODELS, _COLD_MODELS, _MODELS_KEY, RAW_HTTPX2),
    ):
        for name in variants:
            key = prefix + name
            cpu_us = None
            if key in samples:
                value: float | None = median([s[0] for s in samples[key]]) * 1000
                cpu_us = median([s[2] for s in samples[key]]) * 1e6
                note = ""
            else:
                value, note = None, missing.get(key, "n/a")[:60]
            rows.append(Row(figure, name, value, "ms", False, floor, note=note, cpu_us=cpu_us))
    return rows
