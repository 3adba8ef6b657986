"""Types a user (and a framework, a doc tool, ``help()``) can lean on at run time.

``typing.get_type_hints`` resolves on every public function of every operation module (the
sync and async calls, the ``_iter`` twins, the declaration) to real classes, nothing left as a
string; a JSON body's ``params`` takes its attrs model, its TypedDict and any mapping. Each
request body's TypedDict (``openrouter_core.params``) has the keys of its attrs model and
requires what the model's strict reader requires, and ``__required_keys__`` says so at run time.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ForwardRef, Literal, NotRequired, Required, get_args, get_origin

import attrs
import pytest

from openrouter_core.models import ChatGenerationParams, WireModel
from openrouter_core.params.chat import ChatGenerationParamsDict

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = sorted(p.stem for p in (ROOT / "funcs").glob("*.py") if not p.stem.startswith("_"))
PARAMS = sorted(
    p.stem for p in (ROOT / "openrouter_core" / "params").glob("*.py") if p.stem != "__init__"
)


def _public_functions(name: str) -> list[tuple[str, Callable[..., Any]]]:
    module = importlib.import_module(f"funcs.{name}")
    names = [*module.__all__, "operation"]
    found = [(n, getattr(module, n)) for n in names if inspect.isfunction(getattr(module, n, 0))]
    # The declaration is a functools.cache wrapper: what it wraps is the function.
    if callable(getattr(module, "operation", None)):
        found.append(("operation", module.operation))
    return found


def _unresolved(hint: Any) -> list[Any]:
    """What in ``hint`` is still a string or a forward reference."""
    if isinstance(hint, str | ForwardRef):
        return [hint]
    if get_origin(hint) is Literal:
        return []
    return [bad for arg in get_args(hint) for bad in _unresolved(arg)]


def _members(hint: Any) -> list[Any]:
    if get_origin(hint) in (typing.Union, types.UnionType):
        return [m for arg in get_args(hint) for m in _members(arg)]
    return [hint]


@pytest.mark.parametrize("name", OPERATIONS)
def test_get_type_hints_resolves_on_every_public_function(name: str) -> None:
    functions = _public_functions(name)
    assert functions
    for attribute, function in functions:
        hints = typing.get_type_hints(function)
        assert "return" in hints, (name, attribute)
        assert [_unresolved(h) for h in hints.values() if _unresolved(h)] == [], (name, attribute)
        if attribute == "operation":
            continue
        # What frameworks use beside get_type_hints: the signature with real classes.
        signature = inspect.signature(function, eval_str=True)
        assert not [p for p in signature.parameters.values() if _unresolved(p.annotation)]
        if "params" not in hints:
            continue
        members = _members(hints["params"])
        # The attrs model (a WireModel) and a TypedDict beside any mapping, for a JSON body; a
        # multipart form takes a mapping.
        assert any(get_origin(m) is Mapping for m in members), (name, members)
        models = [m for m in members if isinstance(m, type) and issubclass(m, WireModel)]
        dicts = [m for m in members if typing.is_typeddict(m)]
        assert len(models) == len(dicts) <= 1, (name, members)
        if dicts:
            assert dicts[0].__name__ == f"{models[0].__name__}Dict"


def _typeddicts() -> list[Any]:
    found = []
    for stem in PARAMS:
        module = importlib.import_module(f"openrouter_core.params.{stem}")
        found += [pytest.param(getattr(module, n), id=f"{stem}.{n}") for n in module.__all__]
    return found


@pytest.mark.parametrize("typed", _typeddicts())
def test_every_typeddict_resolves_and_knows_its_required_keys(typed: Any) -> None:
    assert typing.is_typeddict(typed)
    hints = typing.get_type_hints(typed, include_extras=True)
    assert [_unresolved(h) for h in hints.values() if _unresolved(h)] == []
    required = {key for key, hint in hints.items() if get_origin(hint) is Required}
    assert not any(get_origin(hint) is NotRequired for hint in hints.values())
    # Right at run time too (the modules are written without postponed annotations for that).
    assert typed.__required_keys__ == required
    assert typed.__optional_keys__ == set(hints) - required


def _strictly_required(model: type[WireModel]) -> set[str]:
    fields = attrs.fields(model)
    mandatory = {f.name for f in fields if f.default is attrs.NOTHING}
    return mandatory | set(model._strict_required) | set(model._always_emit)


def _bodies() -> list[Any]:
    found = []
    for name in OPERATIONS:
        for attribute, function in _public_functions(name):
            if attribute != name:
                continue
            hints = typing.get_type_hints(function)
            members = _members(hints.get("params"))
            models = [m for m in members if isinstance(m, type) and issubclass(m, WireModel)]
            dicts = [m for m in members if typing.is_typeddict(m)]
            if models and dicts:
                found.append(pytest.param(models[0], dicts[0], id=name))
    found.append(pytest.param(ChatGenerationParams, ChatGenerationParamsDict, id="chat_send"))
    return found


BODIES = _bodies()


def test_every_json_body_has_its_typeddict() -> None:
    assert len(BODIES) > 30


@pytest.mark.parametrize(("model", "typed"), BODIES)
def test_a_body_typeddict_matches_its_model(model: type[WireModel], typed: Any) -> None:
    fields = {f.name for f in attrs.fields(model)} - {"extras"}
    keys = set(typing.get_type_hints(typed))
    # The same keys (a key the class cannot name, kept in ``extras``, only in the TypedDict).
    assert fields <= keys
    assert all(not k.isidentifier() for k in keys - fields) or model._open, keys - fields
    assert typed.__required_keys__ == _strictly_required(model)


def test_the_chat_typeddict_is_the_chat_request() -> None:
    hints = typing.get_type_hints(ChatGenerationParamsDict)
    assert set(hints) == {f.name for f in attrs.fields(ChatGenerationParams)} - {"extras"}
    assert ChatGenerationParamsDict.__required_keys__ == {"messages"}
    roles = {
        get_args(typing.get_type_hints(m)["role"])[0]
        for m in _members(get_args(hints["messages"])[0])
    }
    assert roles == {"system", "user", "developer", "assistant", "tool"}


def test_a_lazy_module_imports_on_first_use_only() -> None:
    code = (
        "import sys\n"
        "from openrouter_core._machinery.lazy import lazy_module\n"
        "name = 'openrouter_core.models.credits'\n"
        "lazy = lazy_module(name)\n"
        "assert name not in sys.modules, 'on creation'\n"
        "assert not hasattr(lazy, '__wrapped__') and name not in sys.modules, 'on a probe'\n"
        "assert repr(lazy) == \"<lazy module 'openrouter_core.models.credits'>\"\n"
        "from openrouter_core.models import credits\n"
        "assert lazy.CreditsGetCreditsResponse is credits.CreditsGetCreditsResponse\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize("name", OPERATIONS)
def test_help_names_every_keyword_with_its_type(name: str) -> None:
    # help() shows ``**arguments: Unpack[<Op>Arguments]``: its text must still say which
    # keywords those are, with their types, and the per-call options.
    import pydoc

    module = importlib.import_module(f"funcs.{name}")
    declare = getattr(module, "operation", None)
    if not callable(declare) or not hasattr(declare(), "query_params"):
        pytest.skip("written by hand, without a declaration of its own")
    op = declare()
    text = pydoc.render_doc(getattr(module, name), renderer=pydoc.TextDoc())
    for param in op.path_params + op.query_params:
        assert f"``{param.name}`` (``" in text, param.name
    for option in ("timeout", "retries", "extra_headers", "first_content_timeout"):
        assert f"``{option}``" in text, option
