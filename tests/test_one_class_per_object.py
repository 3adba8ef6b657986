"""One class per JSON object: a schema of OpenRouter's document is one class, whichever operation
reads or writes it, so ``isinstance`` works across operations.

Chat's hand-written models (``common``, ``request``, ``response``, ``stream``) are the classes of
the schemas chat defines: the generator writes no copy of them but imports them wherever the
document refers to one of those schemas (``reuse`` in ``tools/overlay.yaml``). Schemas the
document repeats under other names, or inline, the same but for their descriptions and examples
are one class too (named by ``class_names`` in the overlay where the first name would mislead).
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import typing
from collections import defaultdict
from pathlib import Path
from typing import Any

import attrs

from openrouter_core.models._base import WireModel

ROOT = Path(__file__).resolve().parents[1]
MODEL_MODULES = sorted(
    p.stem
    for p in (ROOT / "openrouter_core" / "models").glob("*.py")
    if p.stem not in {"__init__", "_base", "_converter"}
)
CHAT_MODULES = {"common", "request", "response", "stream", "error"}


def _generator() -> Any:
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module("generate")


GEN = _generator()


def _built() -> Any:
    """The generator's classes, placed in their modules as ``make generate`` places them."""
    doc = GEN.Document()
    types = GEN.Types(doc)
    operations = [GEN.Operation(doc, types, entry) for entry in doc.operations()]
    GEN.assign_modules(types, operations)
    return types


TYPES = _built()


def _classes() -> dict[str, list[tuple[str, type[WireModel]]]]:
    """Every model class by name: the modules that define one of that name."""
    found: dict[str, list[tuple[str, type[WireModel]]]] = defaultdict(list)
    for name in MODEL_MODULES:
        module = importlib.import_module(f"openrouter_core.models.{name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, WireModel)
                and value.__module__ == module.__name__
            ):
                found[value.__name__].append((name, value))
    return found


def _reused_schema(path: str) -> Any:
    """The schema an overlay ``reuse`` path names (``Name`` or ``Name/properties/field``)."""
    name, *rest = path.split("/")
    node: Any = TYPES.doc.schemas[name]
    for key in rest:
        node = TYPES.doc.deref(node)[key]
    return TYPES.merged(TYPES.doc.deref(node))


def test_no_class_name_is_defined_in_two_model_modules() -> None:
    classes = _classes()
    assert len(classes) > 400
    twice = {name: [m for m, _ in where] for name, where in classes.items() if len(where) > 1}
    assert twice == {}


def test_no_schema_is_two_classes() -> None:
    # Each class the generator writes, and each of chat's the overlay reuses, by the schema it is
    # made from without its documentation: no schema is made into two classes. The unknown
    # variant of a tagged union is the generator's own (no schema), one per union.
    unknowns = {spec.unknown for spec in TYPES.tagged.values()}
    by_schema: dict[str, set[str]] = defaultdict(set)
    for model in TYPES.models.values():
        if model.external or not model.module or model.name in unknowns:
            continue
        by_schema[GEN._content(TYPES.shape(model.schema))].add(f"{model.module}.{model.name}")
    for path, target in TYPES.doc.overlay["reuse"].items():
        by_schema[GEN._content(TYPES.shape(_reused_schema(path)))].add(target)
    assert len(by_schema) > 400
    twice = sorted(sorted(names) for names in by_schema.values() if len(names) > 1)
    assert twice == []


def test_chats_classes_have_a_field_for_every_property_of_their_schemas() -> None:
    # The generator checks it too (it refuses to reuse a class that lacks one): every field the
    # document defines is read into a typed attribute, whichever operation reads it.
    for path, target in TYPES.doc.overlay["reuse"].items():
        module, name = target.split(".")
        assert module in CHAT_MODULES, target
        cls = getattr(importlib.import_module(f"openrouter_core.models.{module}"), name)
        properties = set(_reused_schema(path).get("properties") or {})
        assert properties <= set(attrs.fields_dict(cls)), (path, target)


def test_generated_modules_hold_none_of_chats_classes() -> None:
    # They import them: the chat response's CostDetails is the one the embeddings and image
    # answers hold, the chat request's ProviderPreferences the one the other requests take.
    from openrouter_core.models import embeddings, images, request, response
    from openrouter_core.models._shared_chat import ResponsesRequest

    assert vars(embeddings)["CostDetails"] is response.CostDetails
    assert vars(images)["CostDetails"] is response.CostDetails
    assert vars(images)["ServerToolUseDetails"] is response.ServerToolUseDetails
    assert "CostDetails" not in embeddings.__all__
    usage = typing.get_type_hints(embeddings.EmbeddingsGenerateResponseUsage)
    assert usage["cost_details"] == response.CostDetails | None
    hints = typing.get_type_hints(ResponsesRequest)
    assert hints["provider"] == request.ProviderPreferences | None
    assert hints["trace"] == request.TraceConfig | None
    assert typing.get_args(hints["plugins"])[0] == list[request.ChatPlugin]


def test_a_cost_read_by_any_operation_is_chats_class() -> None:
    from funcs.embeddings_generate import operation
    from openrouter_core.models import CostDetails

    answer = {
        "object": "list",
        "data": [{"object": "embedding", "embedding": [0.5], "index": 0}],
        "model": "m",
        "usage": {"prompt_tokens": 1, "total_tokens": 1, "cost": 0.1, "cost_details": {}},
    }
    read = operation().read
    assert read is not None
    value = read(answer).unwrap()
    assert value.usage is not None
    assert isinstance(value.usage.cost_details, CostDetails)


def test_presets_take_chats_request_as_chat_does() -> None:
    from funcs.chat_send import operation as chat
    from funcs.presets_create_presets_chat_completions import operation as presets

    assert presets().body is chat().body
    assert presets().body.__module__ == "openrouter_core.models.request"


def test_each_tagged_union_is_registered_once() -> None:
    # Loaded with a registry that records who registers what: no union's members are registered
    # twice (chat's unions are chat's; the generator reuses them), and a union is registered by a
    # module that defines some of its classes.
    code = (
        "import json, importlib, sys\n"
        "from openrouter_core.models import _converter\n"
        "seen = []\n"
        "original = _converter.register_tagged\n"
        "def recording(*specs):\n"
        "    by = sys._getframe(1).f_globals['__name__']\n"
        "    for spec in specs:\n"
        "        seen.append([by, sorted(c.__module__ + '.' + c.__name__ for c in spec.members)])\n"
        "    original(*specs)\n"
        "_converter.register_tagged = recording\n"
        f"for name in {MODEL_MODULES!r}:\n"
        "    importlib.import_module('openrouter_core.models.' + name)\n"
        "print(json.dumps(seen))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    registered: list[tuple[str, list[str]]] = json.loads(out.stdout)
    members = [tuple(m) for _, m in registered]
    assert len(members) > 20
    assert len(members) == len(set(members))
    for by, classes in registered:
        assert any(c.rsplit(".", 1)[0] == by for c in classes), (by, classes)


def test_shared_models_load_none_of_chats_modules() -> None:
    # Classes several groups share and that hold one of chat's classes live in _shared_chat, so
    # that _shared (which most groups load) loads no chat module.
    code = (
        "import json, sys\n"
        "import openrouter_core.models._shared\n"
        "loaded = [m for m in sys.modules if m.startswith('openrouter_core.models.')]\n"
        "print(json.dumps(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = {m.removeprefix("openrouter_core.models.") for m in json.loads(out.stdout)}
    assert not loaded & CHAT_MODULES, loaded


def test_no_typeddict_is_defined_twice() -> None:
    """A request body's TypedDicts follow the same rule: one definition per JSON object, those
    several groups' bodies hold in ``params/_shared.py``, importable from each group's module."""
    defined: dict[str, list[str]] = {}
    folder = Path(__file__).resolve().parents[1] / "openrouter_core" / "params"
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"^class (\w+)\(TypedDict\b|^(\w+) = TypedDict\(", text, re.M):
            defined.setdefault(name[0] or name[1], []).append(path.stem)
    twice = {name: where for name, where in defined.items() if len(where) > 1}
    assert twice == {}
    assert len(defined) > 300
    from openrouter_core.params import _shared, chat, presets

    # Chat's message TypedDict is one class, reached from chat's module and from presets'.
    assert chat.ChatUserMessageDict is _shared.ChatUserMessageDict
    assert presets.ChatUserMessageDict is chat.ChatUserMessageDict
