"""chat_parse / chat_parse_async: structured outputs against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
from collections.abc import Iterator
from typing import Any, Literal, NotRequired, TypedDict

import attrs
import pytest
from returns.result import Failure, Success

from funcs.chat_parse import chat_parse, chat_parse_async
from openrouter_core import ChatError, InvalidRequestError, OpenRouterCore, RetryConfig
from openrouter_core.models import ChatGenerationParams
from openrouter_core.testing import completion_body, error_body
from openrouter_core.tools import ParsedChatResponse, StructuredOutputError
from tests.loopback import LoopbackServer, json_response
from tests.spec_helpers import schema_errors

FAST = RetryConfig(initial_delay=0.0, max_delay=0.0)
PARAMS: dict[str, Any] = {
    "model": "openai/gpt-4o-mini",
    "messages": [{"role": "user", "content": "Tell me about Paris."}],
}


class Size(enum.Enum):
    SMALL = "small"
    BIG = "big"


@attrs.define
class Landmark:
    name: str
    built: int | None


@attrs.define
class CityAttrs:
    """A city."""

    name: str
    population: int
    size: Size
    landmarks: list[Landmark]


@dataclasses.dataclass
class CityData:
    name: str
    population: int
    tags: list[str] = dataclasses.field(default_factory=list)


class CityDict(TypedDict):
    name: str
    population: int
    kind: Literal["capital", "town"]
    motto: NotRequired[str]


@pytest.fixture(scope="module")
def shared() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def server(shared: LoopbackServer) -> Iterator[LoopbackServer]:
    shared.requests.clear()
    yield shared
    shared.drop_script()


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(api_key="sk-or-test", server_url=server.base_url, retry_config=FAST) as c:
        yield c


def answer(content: str | None, **fields: Any) -> Any:
    return json_response(200, completion_body(content, **fields))


def test_attrs_class(server: LoopbackServer, core: OpenRouterCore) -> None:
    content = json.dumps(
        {
            "name": "Paris",
            "population": 2100000,
            "size": "big",
            "landmarks": [
                {"name": "Eiffel Tower", "built": 1889},
                {"name": "Seine", "built": None},
            ],
        }
    )
    server.script(answer(content))
    result = chat_parse(core, PARAMS, response_type=CityAttrs)
    assert isinstance(result, Success), result
    parsed = result.unwrap()
    assert isinstance(parsed, ParsedChatResponse)
    assert parsed.parsed == CityAttrs(
        "Paris", 2100000, Size.BIG, [Landmark("Eiffel Tower", 1889), Landmark("Seine", None)]
    )
    assert parsed.response.choices[0].message.content == content
    body = server.requests[0].json()
    assert schema_errors("request", body) == []
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "CityAttrs"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["description"] == "A city."
    assert schema["required"] == ["name", "population", "size", "landmarks"]
    assert schema["properties"]["size"] == {"type": "string", "enum": ["small", "big"]}
    landmark = schema["properties"]["landmarks"]["items"]
    assert landmark["additionalProperties"] is False
    assert landmark["properties"]["built"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}


def test_dataclass_and_typed_params(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(answer('{"name": "Lyon", "population": 500000, "tags": ["food"]}'))
    typed = ChatGenerationParams.from_dict(PARAMS).unwrap()
    parsed = chat_parse(core, typed, response_type=CityData).unwrap().parsed
    assert parsed == CityData("Lyon", 500000, ["food"])
    schema = server.requests[0].json()["response_format"]["json_schema"]["schema"]
    # Strict: a field with a default is required all the same.
    assert schema["required"] == ["name", "population", "tags"]


def test_typed_dict(server: LoopbackServer, core: OpenRouterCore) -> None:
    sent = {"name": "Nice", "population": 340000, "kind": "town", "motto": "Nicaea"}
    server.script(answer(json.dumps(sent)))
    parsed = chat_parse(core, PARAMS, response_type=CityDict).unwrap().parsed
    assert parsed == sent
    schema = server.requests[0].json()["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) == {"name", "population", "kind", "motto"}


@pytest.mark.parametrize(
    ("content", "fields", "kind", "problem"),
    [
        (None, {"refusal": "I cannot help with that."}, "refusal", "refused"),
        ("", {}, "empty", "no content"),
        ("Paris is big.", {}, "not_json", "not JSON"),
        ('{"name": "Paris"}', {}, "mismatch", "population: required field missing"),
        ('{"name": "Paris", "population": "many"}', {}, "mismatch", "expected integer"),
        ('{"name": "P", "population": 1, "mayor": "x"}', {}, "mismatch", "unexpected fields"),
    ],
)
def test_failures_keep_the_raw_text(
    server: LoopbackServer,
    core: OpenRouterCore,
    content: str | None,
    fields: dict[str, Any],
    kind: str,
    problem: str,
) -> None:
    body = completion_body(content)
    body["choices"][0]["message"].update(fields)
    server.script(json_response(200, body))
    result = chat_parse(core, PARAMS, response_type=CityData)
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, StructuredOutputError)
    assert error.kind == kind
    assert problem in error.message
    assert error.raw == (content or "")
    assert error.response.choices[0].message.content == content


def test_failures_before_sending_and_from_the_server(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    class NotAClass:
        pass

    @attrs.define
    class HasBytes:
        data: bytes

    for response_type, problem in [
        (NotAClass, "is not an attrs class, a dataclass, a TypedDict or a pydantic model"),
        (HasBytes, "response_type.data: cannot describe bytes"),
    ]:
        error = chat_parse(core, PARAMS, response_type=response_type).failure()
        assert isinstance(error, InvalidRequestError)
        assert problem in error.message
    both = chat_parse(
        core, {**PARAMS, "response_format": {"type": "json_object"}}, response_type=CityData
    )
    assert "not both" in both.failure().message
    assert server.requests == []

    server.script(json_response(429, error_body("slow down", code=429)))
    failed = chat_parse(core, PARAMS, response_type=CityData, retries=0)
    assert isinstance(failed.failure(), ChatError)


def test_async(server: LoopbackServer) -> None:
    server.script(answer('{"name": "Paris", "population": 1}'), answer("nope"))

    async def go() -> tuple[Any, Any]:
        async with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=FAST) as c:
            good = await chat_parse_async(c, PARAMS, response_type=CityData)
            bad = await chat_parse_async(c, PARAMS, response_type=CityData)
            return good, bad

    good, bad = asyncio.run(go())
    assert good.unwrap().parsed == CityData("Paris", 1)
    assert bad.failure().kind == "not_json"


def test_pydantic_model_when_installed(server: LoopbackServer, core: OpenRouterCore) -> None:
    pydantic = pytest.importorskip("pydantic")

    class City(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        name: str
        population: int

    server.script(answer('{"name": "Paris", "population": 3}'))
    parsed = chat_parse(core, PARAMS, response_type=City).unwrap().parsed
    assert parsed.population == 3
    schema = server.requests[0].json()["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["name"]["type"] == "string"
