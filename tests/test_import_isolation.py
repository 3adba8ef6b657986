"""Callers import just the operations they need: importing an operation loads no models (nor its
TypedDicts, nor stream code), and calling it or resolving its annotations
(``typing.get_type_hints``) loads its own group's models and TypedDicts (and the shared ones,
chat's common ones among them), never another group's; a call generates readers only for the
classes it meets; a sync call that does not stream loads neither asyncio nor the stream code."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from openrouter_core.testing import completion_body, sse_bytes, stream_chunks
from tests.loopback import LoopbackServer, json_response, sse

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = sorted(p.stem for p in (ROOT / "funcs").glob("*.py") if not p.stem.startswith("_"))
CHAT_MODULES = {"common", "request", "response", "stream", "error"}


def _run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout)


#: What importing an operation must not load: models, TypedDicts, streams, the converter.
_NOT_ON_IMPORT = (
    "openrouter_core.models.",
    "openrouter_core.params.",
    "openrouter_core.chat.stream",
    "openrouter_core.responses.stream",
    "openrouter_core.images.stream",
    "openrouter_core._machinery.stream",
    "openrouter_core._machinery.janitor",
    "openrouter_core._machinery.binary",
    "cattrs",
)


def test_importing_any_operation_loads_no_models() -> None:
    code = (
        "import json, sys, importlib\n"
        "found = {}\n"
        f"for name in {OPERATIONS!r}:\n"
        "    importlib.import_module('funcs.' + name)\n"
        f"    loaded = [m for m in sys.modules if m.startswith({_NOT_ON_IMPORT!r})]\n"
        "    if loaded: found[name] = loaded\n"
        "print(json.dumps({'found': found}))\n"
    )
    result = _run(code)
    assert result == {"found": {}}
    assert len(OPERATIONS) > 80


def _groups() -> dict[str, str]:
    """Each operation's group: the generator's, and the hand-written operations' own."""
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    gen = importlib.import_module("generate")
    doc = gen.Document()
    types = gen.Types(doc)
    groups = {op.name: op.group for op in (gen.Operation(doc, types, e) for e in doc.operations())}
    hand = {
        "chat_send": "chat",
        "call_model": "chat",
        "chat_parse": "chat",
        "video_generation_wait": "video_generation",
    }
    hand |= {n: "o_auth" for n in OPERATIONS if n.startswith("o_auth_create_")}
    return groups | hand


def _docs_examples() -> dict[str, str]:
    """Each generated operation's example (docs/<group>.md), by operation."""
    found: dict[str, str] = {}
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for code in re.findall(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL):
            name = re.search(r"^from funcs\.(\w+) import", code, re.MULTILINE)
            if name:
                found.setdefault(name.group(1), code)
    return found


# In a child forked per operation (so each starts from the same modules): import the operation,
# resolve the annotations of its functions, run its docs example against the fake; report the
# model and TypedDict modules that loaded.
_PROBE = """\
import importlib, json, os, sys, typing
from openrouter_core.testing import FakeOpenRouter
examples = json.loads(sys.stdin.read())
out = {}
for name in OPERATIONS:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        module = importlib.import_module("funcs." + name)
        for attribute in [*module.__all__, "operation"]:
            value = getattr(module, attribute, None)
            if callable(value):
                typing.get_type_hints(value)
        hinted = sorted(m for m in sys.modules if m.startswith(PREFIXES))
        if name in examples:
            exec(examples[name], {"core": FakeOpenRouter().core(), "print": lambda *a: None})
        called = sorted(m for m in sys.modules if m.startswith(PREFIXES))
        os.write(write, json.dumps([hinted, called]).encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 1 << 16):
        data += chunk
    os.waitpid(pid, 0)
    out[name] = json.loads(data)
print(json.dumps(out))
"""


# Not tied to the Python version (which modules an operation loads): make's Python only.
@pytest.mark.once
@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per operation")
def test_annotations_and_a_call_load_only_the_operations_own_models() -> None:
    groups = _groups()
    examples = _docs_examples()
    prefixes = ("openrouter_core.models.", "openrouter_core.params.")
    code = _PROBE.replace("OPERATIONS", repr(OPERATIONS)).replace("PREFIXES", repr(prefixes))
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(examples),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    loaded: dict[str, list[list[str]]] = json.loads(out.stdout)
    model_groups = {
        p.stem
        for p in (ROOT / "openrouter_core" / "models").glob("*.py")
        if not p.stem.startswith("_") and p.stem not in CHAT_MODULES
    }
    params_groups = {p.stem for p in (ROOT / "openrouter_core" / "params").glob("*.py")}
    problems = []
    for name in OPERATIONS:
        group = groups[name]
        hinted, called = loaded[name]
        assert set(hinted) <= set(called)
        models = {m.removeprefix("openrouter_core.models.") for m in called if ".models." in m}
        params = {m.removeprefix("openrouter_core.params.") for m in called if ".params." in m}
        # Its own group's models and TypedDicts, the shared ones (chat's common ones among
        # them) and the machinery: never another group's.
        if models & (model_groups - {group}) or params - {group, "_shared"}:
            problems.append(f"{name} ({group}): {sorted(models)} {sorted(params)}")
    assert problems == []
    # Not vacuous: the docs examples made the calls, and each group's TypedDicts loaded with the
    # annotations of one of its operations at least.
    assert len(examples) > 80
    assert params_groups - {"__init__", "_shared"} <= {
        groups[n] for n in OPERATIONS for m in loaded[n][0] if m.startswith(prefixes[1])
    }


def _models_after_call(module: str, call: str) -> set[str]:
    code = (
        "import json, sys\n"
        "from openrouter_core.testing import FakeOpenRouter\n"
        f"from funcs.{module} import {module}\n"
        "core = FakeOpenRouter().core()\n"
        f"assert {call}.unwrap() is not None\n"
        "print(json.dumps([m.removeprefix('openrouter_core.models.') for m in sys.modules\n"
        "                  if m.startswith('openrouter_core.models.')]))\n"
    )
    loaded = _run(code)
    assert isinstance(loaded, list)
    return set(loaded)


def test_calling_an_operation_loads_only_its_own_models() -> None:
    machinery = {"_base", "_converter", "_shared"}
    for module, call, group in (
        ("models_list", "models_list(core)", "models"),
        (
            "api_keys_get_current_key_metadata",
            "api_keys_get_current_key_metadata(core)",
            "api_keys",
        ),
        ("workspaces_list", "workspaces_list(core)", "workspaces"),
    ):
        loaded = _models_after_call(module, call)
        assert loaded & {group, "_shared"}
        assert loaded <= machinery | {group}, loaded
        assert not loaded & CHAT_MODULES


def test_chat_loads_no_generated_models() -> None:
    loaded = _models_after_call(
        "chat_send", "chat_send(core, {'messages': [{'role': 'user', 'content': 'hi'}]})"
    )
    assert loaded <= CHAT_MODULES | {"_base", "_converter"}, loaded
    assert {"request", "response"} <= loaded


def test_a_sync_chat_call_loads_only_what_it_uses() -> None:
    """The cold path of a script or a serverless function: one sync call, not streamed."""
    with LoopbackServer(default=json_response(200, completion_body())) as server:
        code = (
            "import json, sys\n"
            "from openrouter_core import OpenRouterCore\n"
            "from funcs.chat_send import chat_send\n"
            f"core = OpenRouterCore(api_key='k', server_url={server.base_url!r})\n"
            "params = {'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}\n"
            "assert chat_send(core, params).unwrap().choices\n"
            "import linecache\n"
            "made = [k for k in linecache.cache if k.startswith('<cattrs generated')]\n"
            "print(json.dumps({'modules': sorted(sys.modules), 'generated': made}))\n"
        )
        result = _run(code)
    assert isinstance(result, dict)
    modules = set(result["modules"])
    unused = {
        "asyncio",
        "openrouter_core._machinery.stream",
        "openrouter_core._machinery.stream_state",
        "openrouter_core._machinery.janitor",
        "openrouter_core._machinery.sse",
        "openrouter_core._machinery.binary",
        "openrouter_core._machinery.files",
        "openrouter_core.chat.stream",
        "openrouter_core.chat.accumulate",
        "openrouter_core.models.stream",
    }
    assert not modules & unused, modules & unused
    # cattrs generated the readers of the classes the request and the answer hold, and only
    # those: not one for each class their fields could hold.
    generated = " ".join(result["generated"])
    for met in ("ChatGenerationParams", "ChatUserMessage", "ChatResponse", "ChatChoice"):
        assert f"structure {met}" in generated or f".{met}" in generated, (met, generated)
    for unmet in ("ReasoningDetailEncrypted", "ChatContentImage", "WebSearchPlugin"):
        assert unmet not in generated, (unmet, generated)


def test_a_sync_stream_never_imports_asyncio() -> None:
    body = sse_bytes(stream_chunks(["Hel", "lo"]))
    with LoopbackServer(default=sse([body])) as server:
        code = (
            "import json, sys\n"
            "from openrouter_core import OpenRouterCore\n"
            "from funcs.chat_send import chat_send\n"
            f"core = OpenRouterCore(api_key='k', server_url={server.base_url!r})\n"
            "params = {'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}\n"
            "stream = chat_send(core, params, stream=True).unwrap()\n"
            "text = ''.join(c.unwrap().choices[0].delta.content or '' for c in stream\n"
            "               if c.unwrap().choices)\n"
            "print(json.dumps({'text': text, 'asyncio': 'asyncio' in sys.modules}))\n"
        )
        result = _run(code)
    assert result == {"text": "Hello", "asyncio": False}
