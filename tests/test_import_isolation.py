"""Callers import just the operations they need: importing an operation loads no models, and
calling it loads its own group's models (and the shared ones), never chat's or another group's;
a call generates readers only for the classes it meets; a sync call that does not stream loads
neither asyncio nor the stream code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from openrouter_core.testing import completion_body, sse_bytes, stream_chunks
from tests.loopback import LoopbackServer, json_response, sse

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = sorted(p.stem for p in (ROOT / "funcs").glob("*.py") if p.stem != "__init__")
CHAT_MODULES = {"common", "request", "response", "stream", "error"}


def _run(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout)


def test_importing_any_operation_loads_no_models() -> None:
    code = (
        "import json, sys, importlib\n"
        "found = {}\n"
        f"for name in {OPERATIONS!r}:\n"
        "    importlib.import_module('funcs.' + name)\n"
        "    loaded = [m for m in sys.modules if m.startswith('openrouter_core.models.')]\n"
        "    if loaded: found[name] = loaded\n"
        "print(json.dumps({'found': found}))\n"
    )
    result = _run(code)
    assert result == {"found": {}}
    assert len(OPERATIONS) > 80


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
