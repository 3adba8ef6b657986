"""Every generated operation over the wire (the loopback server), sync and async.

The operations are enumerated by the generator itself (``tools/generate.py``), so a new one is
tested as soon as it is generated: each call goes out with its required path and query arguments
(path values with a space and a slash, to prove the quoting), one optional query argument of each
kind (a bool as ``true``/``false``, a list as a repeated key, an int, a float) and, when it takes
one, a JSON body built from the document that must validate against the operation's request-body
schema. The server answers the documented success status with the document's example answer; a
documented error status gives an ``APIError``. Then the 404 retry of ``GET /generation`` and the
paginated iterators.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import importlib
import json
import keyword
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from returns.result import Failure, Success

from openrouter_core import APIError, OpenRouterCore, RetryConfig
from openrouter_core.errors import InvalidRequestError, ResponseValidationError
from openrouter_core.models._base import WireModel
from tests.loopback import Action, LoopbackServer, RecordedRequest, json_response, raw

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILE = ROOT / "spec" / "openapi" / "openapi.sdk.yaml"
SPEC_URI = "urn:openrouter:openapi"
PREFIX = "/api/v1"
KEY = "k-test"

# --- the operations, as the generator sees them ---------------------------------------------------


def _generator() -> Any:
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module("generate")


GEN = _generator()
DOC = GEN.Document()
TYPES = GEN.Types(DOC)
OPERATIONS: list[Any] = [GEN.Operation(DOC, TYPES, entry) for entry in DOC.operations()]
BY_NAME: dict[str, Any] = {op.name: op for op in OPERATIONS}

#: The fake's answer per operation, ``(method, path pattern) -> (status, body)``.
FAKE_ROWS: dict[tuple[str, str], tuple[int, Any]] = {
    (row[0], row[1]): (row[2], row[3])
    for row in json.loads((ROOT / "openrouter_core" / "fake_api.json").read_text("utf-8"))
}

#: The document as published (the generator's copy carries the overlay's schemas), for the
#: request-body schemas; ``$ref`` resolves against the whole document.
SPEC: dict[str, Any] = yaml.load(
    SPEC_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
)
REGISTRY: Registry[Any] = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(SPEC))

#: Path values are an example (unreserved characters only) plus this; its wire form follows.
PATH_TAIL, PATH_TAIL_WIRE = " a/b", "%20a%2Fb"
#: A list argument, and each item as a query value must go out.
LIST_VALUES, LIST_WIRE = ["one two", "x/y"], ["one+two", "x%2Fy"]
#: A required string query argument, and its wire form.
QUERY_TEXT, QUERY_TEXT_WIRE = "gen 1/2", "gen+1%2F2"
INT_VALUE, FLOAT_VALUE = 7, 0.25
#: A value for the date parameters, whose pattern the arguments are checked against.
DATE_VALUE = "2025-01-31"
#: The bytes of an uploaded file: no UTF-8, and a CRLF and dashes as in a multipart boundary.
FILE_BYTES = b"\x00\xff\r\n--not-a-boundary\r\n upload"
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")


def _pointer(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@dataclass
class Case:
    """One operation's call: the arguments it takes and what must reach the server."""

    name: str
    method: str
    path: str  # the wire path, prefix and quoting included, without the query
    status: int
    answer: Any  # the JSON answer, or the bytes of a binary one
    errors: list[int]
    management: bool
    #: The Content-Type of a binary answer (audio, a file, a video), None for a JSON one.
    binary: str | None
    body: dict[str, Any] | None  # the JSON body, or a multipart form's fields
    body_schema: str | None  # the request-body schema's URI (into the whole document)
    #: Whether the body is a multipart form (an upload), not JSON.
    form: bool = False
    path_args: dict[str, Any] = field(default_factory=dict)
    #: ``(python name, wire name, kind)`` of the query arguments passed; kind is ``text`` (a
    #: required string), ``bool``, ``int``, ``float`` or ``list``.
    query: list[tuple[str, str, str]] = field(default_factory=list)

    def arguments(self, mode: str) -> dict[str, Any]:
        out = dict(self.path_args)
        for python, _, kind in self.query:
            out[python] = _query_value(kind, mode)
        return out

    def query_string(self, mode: str) -> str:
        pairs: list[str] = []
        for _, wire, kind in self.query:
            pairs += [f"{wire}={value}" for value in _query_wire(kind, mode)]
        return "&".join(pairs)


def _query_value(kind: str, mode: str) -> Any:
    return {
        "text": QUERY_TEXT,
        "bool": mode == "sync",  # True in one mode, False in the other: both spellings go out
        "int": INT_VALUE,
        "float": FLOAT_VALUE,
        "list": LIST_VALUES,
        "date": DATE_VALUE,
    }[kind]


def _query_wire(kind: str, mode: str) -> list[str]:
    return {
        "text": [QUERY_TEXT_WIRE],
        "bool": ["true" if mode == "sync" else "false"],
        "int": [str(INT_VALUE)],
        "float": [str(FLOAT_VALUE)],
        "list": LIST_WIRE,
        "date": [DATE_VALUE],
    }[kind]


def _kind(annotation: str) -> str | None:
    if annotation in ("bool", "str | bool", "bool | str"):
        return "bool"
    if annotation in ("int", "float"):
        return annotation
    if annotation == "str":
        return "list"
    return None


def _case(op: Any) -> Case:
    path = op.path
    path_args: dict[str, Any] = {}
    for param in op.path_params:
        base = param["example"] if isinstance(param["example"], str) else "id-1"
        assert _UNRESERVED.fullmatch(base), base
        path_args[param["name"]] = base + PATH_TAIL
        path = path.replace("{" + param["wire"] + "}", base + PATH_TAIL_WIRE)
    chosen: dict[str, tuple[str, str, str]] = {}
    for param in op.query_params:
        kind = "date" if "pattern=" in param["check"] else _kind(param["annotation"])
        if "choices=" in param["check"] and kind != "bool" and not param["required"]:
            continue  # a closed enum: the shared values would be refused before sending
        if param["required"]:
            assert kind is not None, (op.name, param)
            chosen[param["wire"]] = (
                param["name"],
                param["wire"],
                "bool" if kind == "bool" else "text",
            )
        elif kind is not None and kind not in {k for _, _, k in chosen.values()}:
            chosen[param["wire"]] = (param["name"], param["wire"], kind)
    # In the operation's declared order: the order the query goes out in.
    query = [chosen[p["wire"]] for p in op.query_params if p["wire"] in chosen]
    status, answer = FAKE_ROWS[(op.method, op.path)]
    assert status == int(op.status)
    binary: str | None = None
    if getattr(op, "binary", False):
        # A concrete type of the documented one (``audio/*``), and bytes that are no UTF-8.
        binary = str(op.content_type).replace("/*", "/x-test")
        answer = b"\x00\xff binary answer of " + op.name.encode()
    elif op.response_example is not None:
        assert answer == op.response_example
    body: dict[str, Any] | None = None
    body_schema: str | None = None
    form = getattr(op, "form", None)
    if form:
        content = "requestBody/content/multipart~1form-data/schema"
        body_schema = f"{SPEC_URI}#/paths/{_pointer(op.path)}/{op.method.lower()}/{content}"
        media = DOC.spec["paths"][op.path][op.method.lower()]["requestBody"]["content"]
        example = media["multipart/form-data"].get("example") or {}
        props = DOC.deref(media["multipart/form-data"]["schema"]).get("properties") or {}
        body = dict.fromkeys(form["files"], FILE_BYTES)
        body.update({k: v for k, v in example.items() if k in form["fields"]})
        # A number field goes out as its text.
        body.update(
            {k: FLOAT_VALUE for k in form["fields"] if DOC.deref(props[k]).get("type") == "number"}
        )
        assert set(form["required"]) <= set(body), (op.name, form)
    elif op.body:
        content = "requestBody/content/application~1json/schema"
        body_schema = f"{SPEC_URI}#/paths/{_pointer(op.path)}/{op.method.lower()}/{content}"
        if op.body_example is not None:
            body = op.body_example
        else:
            raw_schema = DOC.spec["paths"][op.path][op.method.lower()]["requestBody"]
            body = GEN.example(DOC, TYPES, raw_schema["content"]["application/json"]["schema"])
    return Case(
        name=op.name,
        method=op.method,
        path=PREFIX + path,
        status=status,
        answer=answer,
        errors=[int(s) for s in op.errors],
        management=bool(op.management),
        binary=binary,
        body=body,
        body_schema=body_schema,
        form=bool(form),
        path_args=path_args,
        query=query,
    )


CASES: dict[str, Case] = {op.name: _case(op) for op in OPERATIONS}
NAMES = sorted(CASES)
MODES = ["sync", "async"]


def _validator(uri: str) -> Any:
    return jsonschema.Draft202012Validator({"$ref": uri}, registry=REGISTRY)


def _module(name: str) -> Any:
    return importlib.import_module(f"funcs.{name}")


def _call_and_read(
    core: OpenRouterCore, case: Case, mode: str, **extra: Any
) -> tuple[Any, bytes | None]:
    """Call the public function (or its async twin) the way a user would; the Result, and the
    bytes of a binary Success (read in the same event loop)."""
    module = _module(case.name)
    args: list[Any] = [core] if case.body is None else [core, case.body]
    kwargs = {**case.arguments(mode), **extra}
    if mode == "sync":
        result = getattr(module, case.name)(*args, **kwargs)
        if case.binary and isinstance(result, Success):
            return result, result.unwrap().read().unwrap()
        return result, None

    async def run() -> tuple[Any, bytes | None]:
        result = await getattr(module, f"{case.name}_async")(*args, **kwargs)
        if case.binary and isinstance(result, Success):
            return result, (await result.unwrap().read()).unwrap()
        return result, None

    return asyncio.run(run())


def _call(core: OpenRouterCore, case: Case, mode: str, **extra: Any) -> Any:
    """The Result of calling the public function (or its async twin)."""
    return _call_and_read(core, case, mode, **extra)[0]


def _exchange(server: LoopbackServer, send: Callable[[], Any]) -> tuple[Any, RecordedRequest]:
    """``send()``'s result and the one request it made."""
    before = len(server.requests)
    result = send()
    assert len(server.requests) == before + 1, [r.path for r in server.requests[before:]]
    return result, server.requests[-1]


def _error_body(status: int) -> dict[str, Any]:
    return {"error": {"code": status, "message": f"scripted {status} answer"}}


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    # Every test scripts its answers; this one shows up as a failure, never as a pass.
    with LoopbackServer(default=json_response(599, {"error": "unscripted request"})) as srv:
        yield srv


@pytest.fixture(scope="module")
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(
        api_key=KEY, server_url=server.base_url, retry_config=RetryConfig.disabled()
    ) as c:
        yield c


@pytest.fixture(autouse=True)
def _no_leftover_answers(server: LoopbackServer) -> Iterator[None]:
    # A test that fails before its scripted answers are taken must not hand them to the next one.
    yield
    server.drop_script()


# --- the inventory --------------------------------------------------------------------------------


def test_every_operation_is_generated_and_declared_as_the_document_says() -> None:
    # One generated funcs module per operation of the document, and no other.
    modules = {
        path.stem
        for path in (ROOT / "funcs").glob("[!_]*.py")
        if "Generated by ``make generate``" in path.read_text(encoding="utf-8")
    }
    assert modules == set(CASES)
    assert len(CASES) == len(OPERATIONS) >= 89
    assert len(CASES) - sum(1 for c in CASES.values() if c.binary) >= 89
    for name, case in CASES.items():
        op = BY_NAME[name]
        declared = _module(name).operation()
        # A deprecated alias shares its operation's declaration (and so its name).
        own = name if not op.alias_of else declared.name
        assert (declared.name, declared.method, declared.path) == (own, op.method, op.path)
        assert not op.alias_of or _module(declared.name).operation() is declared
        assert [p.wire for p in declared.path_params] == [p["wire"] for p in op.path_params]
        assert [p.wire for p in declared.query_params] == [p["wire"] for p in op.query_params]
        assert declared.management_key == case.management, name
        assert (declared.body is not None) == (case.body is not None and not case.form), name
        assert (getattr(declared, "form", None) is not None) == case.form, name


def test_every_kind_of_argument_is_exercised_somewhere() -> None:
    kinds = {kind for case in CASES.values() for _, _, kind in case.query}
    assert kinds == {"text", "bool", "int", "float", "list", "date"}
    assert sum(1 for c in CASES.values() if c.path_args) >= 40
    assert sum(1 for c in CASES.values() if c.body is not None) >= 30


# --- 1. success over the wire, every operation ----------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
def test_operation_round_trip(
    server: LoopbackServer, core: OpenRouterCore, name: str, mode: str
) -> None:
    case = CASES[name]
    headers = [("X-Request-Id", f"req-{name}")]
    if case.binary:
        server.script(raw(case.status, case.answer, headers, content_type=case.binary))
    else:
        server.script(json_response(case.status, case.answer, headers))
    (result, data), request = _exchange(server, lambda: _call_and_read(core, case, mode))

    assert request.method == case.method
    query = case.query_string(mode)
    assert request.path == case.path + (f"?{query}" if query else "")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    if case.body is None:
        assert request.body == b""
        assert "content-type" not in request.headers
    elif case.form:
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        sent = _form_parts(request)
        assert sent == {k: v if isinstance(v, bytes) else str(v) for k, v in case.body.items()}
        assert case.body_schema is not None
        assert _validator(case.body_schema).is_valid(_form_instance(case.body))
    else:
        assert request.headers["content-type"] == "application/json"
        sent = request.json()
        assert case.body_schema is not None
        problems = [
            f"{e.json_path}: {e.message}" for e in _validator(case.body_schema).iter_errors(sent)
        ]
        assert problems == [], problems
        body_model: Any = _module(name).operation().body
        expected = _without_nulls(case.body)
        # A top-level null where the document admits one goes out: it clears a value.
        expected |= {
            k: None
            for k in getattr(body_model, "_nullable", ())
            if k in case.body and case.body[k] is None
        }
        if _module(name).operation().stream is not None:
            # An operation that can stream says whether it does; here it does not.
            expected.setdefault("stream", False)
        assert sent == expected

    assert isinstance(result, Success), result
    value = result.unwrap()
    if case.binary:
        assert data == case.answer
        assert value.content_type == case.binary
        assert value.closed
    else:
        assert value.received_json == case.answer
    assert value.http.status_code == case.status
    assert value.http.request_id == f"req-{name}"
    assert value.http.attempts == 1


def _form_parts(request: RecordedRequest) -> dict[str, Any]:
    """A multipart body's parts by name: a file's bytes, a field's text."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message: Any = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + request.body
    )
    assert message.is_multipart()
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        parts[name] = payload if part.get_filename() else payload.decode("utf-8")
    return parts


def _form_instance(form: dict[str, Any]) -> dict[str, Any]:
    """A form's fields as the schema describes them (a file as a ``binary`` string)."""
    return {k: v.decode("latin-1") if isinstance(v, bytes) else v for k, v in form.items()}


def _without_nulls(value: Any) -> Any:
    # An optional request field given as null is left out on the wire (the models omit None),
    # but for a top-level field whose schema admits null (see above).
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _extras(value: Any, path: str = "") -> list[str]:
    """Where a read value kept fields of the answer in ``extras`` that its model names could
    have held (a field whose wire name is no Python name belongs there)."""
    found: list[str] = []
    if isinstance(value, WireModel):
        reserved = set(GEN._RESERVED)
        found += [
            f"{path}.{k}" if path else k
            for k in value.extras
            if k.isidentifier() and not keyword.iskeyword(k) and k not in reserved
        ]
        for name in attrs.fields(type(value)):
            if not name.name.startswith("_"):
                found += _extras(getattr(value, name.name), f"{path}.{name.name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _extras(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _extras(item, f"{path}.{key}")
    return found


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES if not CASES[n].binary],
)
def test_example_answer_fills_the_typed_fields(name: str) -> None:
    # The document's own example answer fits the document's schema: the generated models must
    # read every field of it into a typed field, none into `extras`.
    value = _module(name).operation().read(CASES[name].answer).unwrap()
    assert _extras(value) == []


def test_responses_store_false_is_accepted(server: LoopbackServer, core: OpenRouterCore) -> None:
    from funcs.responses_send import responses_send

    case = CASES["responses_send"]
    params = {"model": "openai/gpt-4o", "input": "hi", "store": False}
    assert case.body_schema is not None
    assert _validator(case.body_schema).is_valid(params)
    server.script(json_response(case.status, case.answer))
    result, request = _exchange(server, lambda: responses_send(core, params))
    assert request.json() == {**params, "stream": False}
    assert isinstance(result, Success), result


# An explicit null where the API reads "clear this" (the document: "Set to null to remove").
def test_explicit_null_removes_a_guardrail_filter(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    from funcs.guardrails_update import guardrails_update

    case = CASES["guardrails_update"]
    params = {"content_filters": None}
    assert case.body_schema is not None
    assert _validator(case.body_schema).is_valid(params)
    server.script(json_response(case.status, case.answer))
    result, request = _exchange(server, lambda: guardrails_update(core, params, id="g1"))
    assert isinstance(result, Success), result
    assert request.json() == params


# A path value "." or ".." would make the client drop its segment and name another resource.
@pytest.mark.parametrize(
    ("name", "dots"),
    [
        ("api_keys_delete", ".."),
        ("workspaces_delete_budget", ".."),
        ("guardrails_bulk_unassign_keys", ".."),
        ("presets_get_version", "."),
        ("images_list_model_endpoints", ".."),
    ],
)
def test_dot_segment_path_values_stay_in_their_segment(
    server: LoopbackServer, core: OpenRouterCore, name: str, dots: str
) -> None:
    case = CASES[name]
    op = BY_NAME[name]
    first = op.path_params[0]
    arguments = {**case.path_args, first["name"]: dots}
    before = len(server.requests)
    module = _module(name)
    args: list[Any] = [core] if case.body is None else [core, case.body]
    result = getattr(module, name)(*args, **arguments)
    if len(server.requests) == before:
        assert isinstance(result, Failure)
        error = result.failure()
        assert isinstance(error, InvalidRequestError)
        assert error.path == first["name"]
    else:
        # Sent: then with the dots quoted, in the operation's own path.
        expected = op.path
        for param in op.path_params:
            value = arguments[param["name"]]
            segment = (
                "%2E" * len(value) if param is first else value.replace(PATH_TAIL, PATH_TAIL_WIRE)
            )
            expected = expected.replace("{" + param["wire"] + "}", segment)
        assert server.requests[-1].path.partition("?")[0] == PREFIX + expected


def test_request_bodies_are_valid_before_sending() -> None:
    # The bodies the round trip sends are valid by the document, and an invalid one is not.
    for case in CASES.values():
        if case.body_schema is None:
            continue
        validator = _validator(case.body_schema)
        instance = _form_instance(case.body or {}) if case.form else case.body
        assert list(validator.iter_errors(instance)) == [], case.name
        assert not validator.is_valid([instance]), case.name


# --- 2. documented errors -------------------------------------------------------------------------

#: Operations tried with every status they document (the others with one or two).
ALL_STATUSES = (
    "responses_send",
    "embeddings_generate",
    "api_keys_update",
    "presets_create_presets_chat_completions",
    "generations_get_generation",
    "observability_update",
)


def _error_params() -> list[Any]:
    params: list[Any] = []
    for index, name in enumerate(NAMES):
        case = CASES[name]
        if name in ALL_STATUSES:
            statuses = list(case.errors)
        else:
            statuses = [case.errors[index % len(case.errors)]]
            if case.management:  # the hint: every management operation documents 401
                statuses.append(401 if 401 in case.errors else 403)
            if 409 in case.errors:  # documented with the JSON error body, as the others
                statuses.append(409)
        params += [
            pytest.param(name, status, id=f"{name}-{status}") for status in dict.fromkeys(statuses)
        ]
    return params


def _check_error(result: Any, case: Case, status: int) -> None:
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, APIError), repr(error)
    assert error.status_code == status
    assert error.code == status
    assert f"scripted {status} answer" in error.message
    assert error.attempts == 1
    if case.management and status in (401, 403):
        assert "management key" in error.message
    else:
        assert "management key" not in error.message


@pytest.mark.parametrize(("name", "status"), _error_params())
def test_documented_error_status(
    server: LoopbackServer, core: OpenRouterCore, name: str, status: int
) -> None:
    case = CASES[name]
    assert status in case.errors
    # GET /generation retries a 404 for a while: off here, so exactly one request goes out.
    extra = {"retry_not_found_for": 0} if name == "generations_get_generation" else {}
    server.script(json_response(status, _error_body(status)))
    result, request = _exchange(server, lambda: _call(core, case, "sync", **extra))
    assert request.method == case.method
    assert request.path.startswith(case.path)
    _check_error(result, case, status)


@pytest.mark.parametrize("name", ["api_keys_update", "byok_list", "models_get", "files_delete"])
def test_documented_error_status_async(
    server: LoopbackServer, core: OpenRouterCore, name: str
) -> None:
    case = CASES[name]
    status = 401 if 401 in case.errors else 404
    server.script(json_response(status, _error_body(status)))
    result, _ = _exchange(server, lambda: _call(core, case, "async"))
    _check_error(result, case, status)


def test_every_management_operation_documents_401() -> None:
    management = [c for c in CASES.values() if c.management]
    assert len(management) >= 40
    assert all(401 in c.errors for c in management), [
        c.name for c in management if 401 not in c.errors
    ]


# --- 3. GET /generation: a 404 is retried for a while ---------------------------------------------

FAST = RetryConfig(initial_delay=0.01, max_delay=0.01)
GENERATION = CASES["generations_get_generation"]


@pytest.mark.parametrize("mode", MODES)
def test_generation_404_then_200_is_retried(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    before = len(server.requests)
    server.script(
        json_response(404, _error_body(404)),
        json_response(200, GENERATION.answer),
    )
    result = _call(core, GENERATION, mode, retries=FAST)
    assert isinstance(result, Success), result
    value = result.unwrap()
    assert value.http.attempts == 2
    assert value.http.status_code == 200
    assert value.received_json == GENERATION.answer
    paths = [r.path for r in server.requests[before:]]
    assert paths == [f"{GENERATION.path}?id={QUERY_TEXT_WIRE}"] * 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("window", [0, 0.0, None])
def test_generation_404_without_window_fails_at_once(
    server: LoopbackServer, core: OpenRouterCore, mode: str, window: float | None
) -> None:
    server.script(json_response(404, _error_body(404)))
    result, _ = _exchange(
        server, lambda: _call(core, GENERATION, mode, retry_not_found_for=window, retries=FAST)
    )
    _check_error(result, GENERATION, 404)


@pytest.mark.parametrize("mode", MODES)
def test_generation_404_retries_end_with_the_window(mode: str) -> None:
    # A 404 that never goes away: retried while the window lasts, then the 404 is the answer.
    with (
        LoopbackServer(default=json_response(404, _error_body(404))) as srv,
        OpenRouterCore(api_key=KEY, server_url=srv.base_url, retry_config=FAST) as c,
    ):
        result = _call(c, GENERATION, mode, retry_not_found_for=0.5)
        assert isinstance(result, Failure), result
        error = result.failure()
        assert isinstance(error, APIError)
        assert error.status_code == 404
        # How many attempts fit depends on this machine's speed; the count by the clock is
        # test_generation_404_window_counts_by_the_clock's.
        assert error.attempts == len(srv.requests) >= 2


@pytest.mark.parametrize("window", [0.05, 0.3, 1.0])
def test_generation_404_window_counts_by_the_clock(window: float) -> None:
    # The attempt loop driven by hand on a clock that moves only when it sleeps: a 404 is retried
    # while the next wait still ends inside the window, and never after.
    import httpx2

    from funcs.generations_get_generation import operation
    from openrouter_core._machinery.attempts import Read, Send, Sleep, attempts
    from openrouter_core._machinery.request import prepare

    core = OpenRouterCore(api_key=KEY, server_url="http://127.0.0.1:9", retry_config=FAST)
    prepared = attrs.evolve(
        prepare(operation(), core, arguments={"id": "gen-1"}).unwrap(), not_found_for=window
    )
    now = [0.0]
    slept: list[float] = []
    steps = attempts(core, prepared, lambda: now[0], lambda: 0.5)
    sends = 0

    def outcome(step: Any) -> Any:
        nonlocal sends
        if isinstance(step, Send):
            sends += 1
            return httpx2.Response(404, json=_error_body(404))
        if isinstance(step, Read):
            return json.dumps(_error_body(404)).encode()
        if isinstance(step, Sleep):
            slept.append(step.seconds)
            now[0] += step.seconds
        return None

    try:
        step = next(steps)
        while True:
            step = steps.send(outcome(step))
    except StopIteration as done:
        result = done.value
    error = result.failure()
    assert isinstance(error, APIError)
    assert (error.status_code, error.attempts) == (404, sends)
    assert sends == len(slept) + 1 >= 2
    assert sum(slept) <= window < sum(slept) + FAST.max_delay
    core.close()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bad", ["x", -1, True, [1]])
def test_generation_bad_window_is_invalid_request(
    server: LoopbackServer, core: OpenRouterCore, mode: str, bad: Any
) -> None:
    before = len(server.requests)
    result = _call(core, GENERATION, mode, retry_not_found_for=bad)
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == "retry_not_found_for"
    assert "retry_not_found_for" in error.message
    assert len(server.requests) == before


# --- 4. pagination --------------------------------------------------------------------------------


def _iterate(mode: str, name: str, **arguments: Any) -> list[Any]:
    """Every result of ``<name>_iter`` (or the async twin), in order."""
    module = _module(name)
    if mode == "sync":
        iterator: Iterator[Any] = getattr(module, f"{name}_iter")(**arguments)
        return list(iterator)

    async def collect() -> list[Any]:
        iterator: AsyncIterator[Any] = getattr(module, f"{name}_iter_async")(**arguments)
        return [item async for item in iterator]

    return asyncio.run(collect())


def _walk(
    server: LoopbackServer, pages: list[Action], mode: str, name: str, **arguments: Any
) -> tuple[list[Any], list[str]]:
    """The results of a walk over the scripted ``pages``, and the paths it requested."""
    before = len(server.requests)
    server.script(*pages)
    results = _iterate(mode, name, **arguments)
    return results, [r.path for r in server.requests[before:]]


def _ids(results: list[Any], attribute: str = "id") -> list[Any]:
    assert all(isinstance(r, Success) for r in results), results
    return [getattr(r.unwrap(), attribute) for r in results]


def _models(*ids: str) -> Action:
    return json_response(200, {"data": [{"id": i, "name": i.upper()} for i in ids]})


@pytest.mark.parametrize("mode", MODES)
def test_models_list_iter_walks_offset_and_limit(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_models("a", "b"), _models("c", "d"), _models("e")]
    results, paths = _walk(server, pages, mode, "models_list", core=core, limit=2, q="x y")
    assert _ids(results) == ["a", "b", "c", "d", "e"]
    assert paths == [f"{PREFIX}/models?offset={n}&limit=2&q=x+y" for n in (0, 2, 4)]


@pytest.mark.parametrize("mode", MODES)
def test_models_list_iter_without_limit_stops_at_an_empty_page(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_models("a", "b", "c"), _models("d"), _models()]
    results, paths = _walk(server, pages, mode, "models_list", core=core)
    assert _ids(results) == ["a", "b", "c", "d"]
    assert paths == [f"{PREFIX}/models?offset={n}" for n in (0, 3, 4)]


@pytest.mark.parametrize("mode", MODES)
def test_models_list_iter_full_last_page_then_empty(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_models("a", "b"), _models()]
    results, paths = _walk(server, pages, mode, "models_list", core=core, limit=2)
    assert _ids(results) == ["a", "b"]
    assert paths == [f"{PREFIX}/models?offset={n}&limit=2" for n in (0, 2)]


@pytest.mark.parametrize("mode", MODES)
def test_models_list_iter_failing_page_ends_with_one_failure(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_models("a", "b"), json_response(500, _error_body(500)), _models("never")]
    results, paths = _walk(server, pages, mode, "models_list", core=core, limit=2)
    assert _ids(results[:2]) == ["a", "b"]
    assert len(results) == 3
    assert isinstance(results[2], Failure)
    error = results[2].failure()
    assert isinstance(error, APIError)
    assert error.status_code == 500
    assert paths == [f"{PREFIX}/models?offset={n}&limit=2" for n in (0, 2)]
    # The page nobody asked for is still queued: take it off again.
    assert _ids(_iterate(mode, "models_list", core=core, limit=2)) == ["never"]


@pytest.mark.parametrize("mode", MODES)
def test_an_iter_starts_at_a_given_offset_and_every_page_gets_the_call_options(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    retry = RetryConfig(max_retries=1, initial_delay=0.001, jitter=False)
    pages = [_models("c", "d"), json_response(503, _error_body(503)), _models("e")]
    results, paths = _walk(
        server,
        pages,
        mode,
        "models_list",
        core=core,
        offset=2,
        limit=2,
        retries=retry,
        extra_headers={"x-walk": "on"},
    )
    assert _ids(results) == ["c", "d", "e"]  # the 503 was retried: the options reached page 2
    assert paths == [f"{PREFIX}/models?offset={n}&limit=2" for n in (2, 4, 4)]
    assert [r.headers.get("x-walk") for r in server.requests[-3:]] == ["on"] * 3


@pytest.mark.parametrize("mode", MODES)
def test_a_misspelt_keyword_is_a_failure_naming_it_and_the_right_ones(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    module = _module("models_list")
    before = len(server.requests)
    arguments: dict[str, Any] = {"lmit": 5}
    if mode == "sync":
        result = module.models_list(core, **arguments)
    else:
        result = asyncio.run(module.models_list_async(core, **arguments))
    error = result.failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == "lmit"
    assert "did you mean 'limit'?" in error.message
    assert "timeout" in error.message  # the per-call options are listed too
    walked = _iterate(mode, "models_list", core=core, **arguments)
    assert len(walked) == 1
    assert isinstance(walked[0], Failure)
    assert walked[0].failure().path == "lmit"
    assert len(server.requests) == before  # nothing was sent


@pytest.mark.parametrize("mode", MODES)
def test_models_list_iter_first_page_failing_or_shapeless(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    results, paths = _walk(
        server, [json_response(503, _error_body(503))], mode, "models_list", core=core
    )
    assert len(results) == 1
    assert isinstance(results[0], Failure)
    assert isinstance(results[0].failure(), APIError)
    assert paths == [f"{PREFIX}/models?offset=0"]
    results, _ = _walk(
        server, [json_response(200, {"nothing": []})], mode, "models_list", core=core
    )
    assert len(results) == 1
    assert isinstance(results[0], Failure)
    assert isinstance(results[0].failure(), ResponseValidationError)


def _files(ids: list[str], cursor: str | None, has_more: bool | None = None) -> Action:
    page: dict[str, Any] = {"data": [{"id": i, "filename": f"{i}.txt"} for i in ids]}
    page["cursor"] = cursor
    if has_more is not None:
        page["has_more"] = has_more
    return json_response(200, page)


@pytest.mark.parametrize("mode", MODES)
def test_files_list_iter_follows_the_cursor(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [
        _files(["f1", "f2"], "c 1/x", has_more=True),
        _files(["f3"], "c2"),
        _files(["f4"], None),
        _files(["never"], None),
    ]
    results, paths = _walk(server, pages, mode, "files_list", core=core, limit=2, order="asc")
    assert _ids(results) == ["f1", "f2", "f3", "f4"]
    base = f"{PREFIX}/files?limit=2"
    assert paths == [
        f"{base}&order=asc",
        f"{base}&cursor=c+1%2Fx&order=asc",
        f"{base}&cursor=c2&order=asc",
    ]
    assert _ids(_iterate(mode, "files_list", core=core)) == ["never"]


@pytest.mark.parametrize("mode", MODES)
def test_files_list_iter_starts_at_a_given_cursor(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_files(["f3"], "c3"), _files(["f4"], None)]
    results, paths = _walk(server, pages, mode, "files_list", core=core, cursor="c2")
    assert _ids(results) == ["f3", "f4"]
    assert paths == [f"{PREFIX}/files?cursor=c2", f"{PREFIX}/files?cursor=c3"]


@pytest.mark.parametrize("mode", MODES)
def test_files_list_iter_stops_on_has_more_false_and_on_an_empty_page(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    results, paths = _walk(
        server, [_files(["f1"], "c1", has_more=False)], mode, "files_list", core=core
    )
    assert _ids(results) == ["f1"]
    assert paths == [f"{PREFIX}/files"]
    pages = [_files(["f1"], "c1"), _files([], "c2")]
    results, paths = _walk(server, pages, mode, "files_list", core=core)
    assert _ids(results) == ["f1"]
    assert paths == [f"{PREFIX}/files", f"{PREFIX}/files?cursor=c1"]


@pytest.mark.parametrize("mode", MODES)
def test_files_list_iter_failing_page_ends_with_one_failure(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_files(["f1"], "c1"), json_response(401, _error_body(401))]
    results, paths = _walk(server, pages, mode, "files_list", core=core)
    assert len(results) == 2
    assert _ids(results[:1]) == ["f1"]
    assert isinstance(results[1], Failure)
    error = results[1].failure()
    assert isinstance(error, APIError)
    assert error.status_code == 401
    assert paths == [f"{PREFIX}/files", f"{PREFIX}/files?cursor=c1"]


def _keys(first: int, count: int) -> Action:
    return json_response(200, {"data": [{"hash": f"h{n}"} for n in range(first, first + count)]})


@pytest.mark.parametrize("mode", MODES)
def test_api_keys_list_iter_pages_of_100_by_offset(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_keys(0, 100), _keys(100, 100), _keys(200, 3)]
    results, paths = _walk(server, pages, mode, "api_keys_list", core=core, include_disabled=True)
    assert _ids(results, "hash") == [f"h{n}" for n in range(203)]
    assert paths == [f"{PREFIX}/keys?include_disabled=true&offset={n}" for n in (0, 100, 200)]


@pytest.mark.parametrize("mode", MODES)
def test_api_keys_list_iter_short_first_page_and_empty_page(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    results, paths = _walk(server, [_keys(0, 99)], mode, "api_keys_list", core=core)
    assert len(_ids(results, "hash")) == 99
    assert paths == [f"{PREFIX}/keys?offset=0"]
    results, paths = _walk(server, [_keys(0, 100), _keys(0, 0)], mode, "api_keys_list", core=core)
    assert len(_ids(results, "hash")) == 100
    assert paths == [f"{PREFIX}/keys?offset=0", f"{PREFIX}/keys?offset=100"]


@pytest.mark.parametrize("mode", MODES)
def test_api_keys_list_iter_failing_page_ends_with_one_failure(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    pages = [_keys(0, 100), json_response(401, _error_body(401))]
    results, paths = _walk(server, pages, mode, "api_keys_list", core=core)
    assert len(results) == 101
    assert _ids(results[:100], "hash") == [f"h{n}" for n in range(100)]
    assert isinstance(results[100], Failure)
    error = results[100].failure()
    assert isinstance(error, APIError)
    assert error.status_code == 401
    assert "management key" in error.message
    assert paths == [f"{PREFIX}/keys?offset=0", f"{PREFIX}/keys?offset=100"]
