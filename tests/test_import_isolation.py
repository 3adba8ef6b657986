"""Callers import just the operations they need: importing an operation loads no models, and
calling it loads its own group's models (and the shared ones), never chat's or another group's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
        "print(json.dumps([m.rsplit('.', 1)[1] for m in sys.modules\n"
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
