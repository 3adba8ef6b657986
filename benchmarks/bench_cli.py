"""The command line's cold start: from starting the process to the first byte it prints.

What a shell script pays per call. Each run starts a fresh process against the bench server
and times, from the parent, the moment it is spawned until the first byte arrives on its
stdout; then the rest is read and the process waited for (it must exit 0 and print something).
Two workloads:

- ``GET /models`` (the small catalog): ``openrouter-core models_list`` (``python -m
  openrouter_core``) against ``curl -s`` (when on PATH) and a raw httpx2 script that does the
  same request and writes the body to stdout; the floor is the raw httpx2 script (the same
  interpreter and transport, nothing else);
- a streamed chat reply of ``CHAT_CHUNKS`` chunks: ``openrouter-core chat PROMPT -m MODEL``
  (first byte: the first words of the reply) against ``curl -sN`` (first byte: the first SSE
  event, unparsed) and a raw httpx2 script that streams the POST and prints the first content
  delta it decodes.

Variants alternate run by run after one untimed run each (it writes the bytecode caches); the
figure is the median. Client CPU per run is the child's user + system time (``wait4``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from _common import API_KEY, ROOT, Config, Row, Server, median, rotated, stream_model

CLI_MODELS = "CLI cold start to 1st byte, GET /models"
CLI_CHAT = "CLI cold start to 1st byte, streamed chat"
CURL = "curl"
RAW = "raw httpx2 script"
OURS_CLI = "openrouter-core CLI"
#: Content chunks of the streamed chat reply.
CHAT_CHUNKS = 20

_RAW_GET = """\
import os, sys, httpx2
r = httpx2.get(os.environ["OPENROUTER_BASE_URL"] + "/models",
               headers={"Authorization": "Bearer " + os.environ["OPENROUTER_API_KEY"]})
assert r.status_code == 200
sys.stdout.buffer.write(r.content)
"""

_RAW_CHAT = """\
import json, os, sys, httpx2
body = {"model": sys.argv[1], "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
headers = {"Authorization": "Bearer " + os.environ["OPENROUTER_API_KEY"]}
url = os.environ["OPENROUTER_BASE_URL"] + "/chat/completions"
with httpx2.stream("POST", url, json=body, headers=headers) as r:
    assert r.status_code == 200
    for line in r.iter_lines():
        if line.startswith("data: ") and line != "data: [DONE]":
            for choice in json.loads(line[6:])["choices"]:
                text = choice.get("delta", {}).get("content")
                if text:
                    sys.stdout.write(text)
                    sys.stdout.flush()
print()
"""


def _programs(server: Server) -> dict[str, dict[str, list[str]]]:
    """figure -> variant -> argv."""
    auth = f"Authorization: Bearer {API_KEY}"
    chat_model = stream_model(CHAT_CHUNKS)
    chat_body = json.dumps(
        {"model": chat_model, "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    )
    curl = shutil.which("curl")
    models: dict[str, list[str]] = {RAW: [sys.executable, "-c", _RAW_GET]}
    chat: dict[str, list[str]] = {RAW: [sys.executable, "-c", _RAW_CHAT, chat_model]}
    if curl:
        models[CURL] = [curl, "-sS", "-H", auth, f"{server.base_url}/models"]
        chat[CURL] = [
            curl,
            "-sSN",
            "-H",
            auth,
            "-H",
            "Content-Type: application/json",
            "-d",
            chat_body,
            f"{server.base_url}/chat/completions",
        ]
    models[OURS_CLI] = [sys.executable, "-m", "openrouter_core", "models_list"]
    chat[OURS_CLI] = [sys.executable, "-m", "openrouter_core", "chat", "Hi", "-m", chat_model]
    return {CLI_MODELS: models, CLI_CHAT: chat}


def first_byte(argv: list[str], env: dict[str, str]) -> tuple[float, float] | str:
    """(seconds to the first byte on stdout, child CPU seconds), or why the run failed."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.read(1)
    elapsed = time.perf_counter() - started
    proc.stdout.read()
    error = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not first:
        lines = error.decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else f"exit {proc.returncode}, {len(first)} bytes"
    return elapsed, usage.ru_utime + usage.ru_stime


def runs(cfg: Config) -> int:
    """Timed runs per variant: half the import runs (7 in a full run, 1 in a quick one)."""
    return max(1, cfg.import_runs // 2)


def run_cli(cfg: Config, server: Server) -> list[Row]:
    env = {
        **os.environ,
        "OPENROUTER_API_KEY": API_KEY,
        "OPENROUTER_BASE_URL": server.base_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows: list[Row] = []
    for figure, variants in _programs(server).items():
        missing: dict[str, str] = {}
        for name, argv in variants.items():  # untimed: writes .pyc, finds the broken ones
            result = first_byte(argv, env)
            if isinstance(result, str):
                missing[name] = result
        names = [name for name in variants if name not in missing]
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
        for run in range(runs(cfg)):
            for name in rotated(names, run):
                result = first_byte(variants[name], env)
                if isinstance(result, str):
                    raise RuntimeError(f"{figure} / {name}: {result}")
                samples[name].append(result)
        for name in (CURL, RAW, OURS_CLI):
            row = Row(figure, name, None, "ms", False, RAW)
            if samples.get(name):
                row.value = median([s[0] for s in samples[name]]) * 1000
                row.cpu_us = median([s[1] for s in samples[name]]) * 1e6
            else:
                row.note = missing.get(name, "not on PATH")[:60]
            rows.append(row)
        ours = rows[-1]
        if ours.value:
            command = "models_list" if figure == CLI_MODELS else f"chat, {CHAT_CHUNKS} chunks"
            ours.note = f"python -m openrouter_core {command}"
    return rows
