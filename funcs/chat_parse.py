"""``chat_parse``: a chat completion whose answer is read into your own class, as a Result.

>>> @attrs.define
... class City:
...     name: str
...     population: int
>>> match chat_parse(core, params, response_type=City):
...     case Success(ParsedChatResponse(parsed=City() as city)): print(city.population)
...     case Failure(StructuredOutputError() as error): print(error.kind, error.raw)
...     case Failure(error): print("chat failed:", error)

The request carries ``response_format: {"type": "json_schema", "json_schema": {"name",
"strict": true, "schema"}}`` with the JSON Schema of ``response_type`` (an attrs class, a
dataclass, a TypedDict, or a pydantic model when pydantic is installed); the answer is read
into it by cattrs (pydantic by pydantic). See ``docs/tools.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, Unpack

from returns.result import Failure, Result, Success

# Each a stand-in that imports its module on first use (a call, typing.get_type_hints).
from funcs._aliases import models as _models, params_chat as _params, tools as _tools
from openrouter_core._machinery.options import CallOptions
from openrouter_core.core import OpenRouterCore
from openrouter_core.errors import InvalidRequestError, OpenRouterCoreError

__all__ = ["chat_parse", "chat_parse_async"]

T = TypeVar("T")


def _request(params: Any, response_type: Any) -> Result[dict[str, Any], InvalidRequestError]:
    """``params`` as a mapping with the ``response_format`` of ``response_type``, not
    streaming; chat_send checks the rest."""
    from openrouter_core.models import ChatGenerationParams
    from openrouter_core.tools._structured import response_format

    made = response_format(response_type)
    if isinstance(made, Failure):
        return made
    if isinstance(params, ChatGenerationParams):
        params = params.to_dict()
    if not isinstance(params, Mapping):
        problem = f"params must be a mapping or ChatGenerationParams, not {type(params).__name__}"
        return Failure(InvalidRequestError(message=problem, problem=problem))
    if params.get("response_format") is not None:
        return Failure(_both())
    body = {key: value for key, value in params.items() if key != "stream"}
    body["response_format"] = made.unwrap()
    return Success(body)


def _both() -> InvalidRequestError:
    problem = "give response_type or params['response_format'], not both"
    return InvalidRequestError(message=problem, path="response_format", problem=problem)


def _parsed(
    response: _models.ChatResponse, response_type: type[T]
) -> Result[_tools.ParsedChatResponse[T], OpenRouterCoreError]:
    from openrouter_core.tools import ParsedChatResponse
    from openrouter_core.tools._structured import parse_answer

    read = parse_answer(response, response_type)
    if isinstance(read, Failure):
        return Failure(read.failure())
    return Success(ParsedChatResponse(parsed=read.unwrap(), response=response))


def chat_parse(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    response_type: type[T],
    **options: Unpack[CallOptions],
) -> Result[_tools.ParsedChatResponse[T], OpenRouterCoreError]:
    """Send ``params`` asking for JSON that follows ``response_type``'s schema and return
    ``Success(ParsedChatResponse)`` with ``.parsed`` (a ``response_type``) and ``.response``.

    A refusal, an answer that is not JSON or does not fit the class is a
    ``Failure(StructuredOutputError)`` keeping the raw text; a class that cannot be described
    in JSON Schema, or params that already hold a ``response_format``, an
    ``InvalidRequestError`` (nothing sent); any other failure is ``chat_send``'s. Never raises
    except on cancellation.
    """
    from funcs.chat_send import chat_send

    body = _request(params, response_type)
    if isinstance(body, Failure):
        return Failure(body.failure())
    sent = chat_send(core, body.unwrap(), stream=False, **options)
    if isinstance(sent, Failure):
        return Failure(sent.failure())
    return _parsed(sent.unwrap(), response_type)


async def chat_parse_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    response_type: type[T],
    **options: Unpack[CallOptions],
) -> Result[_tools.ParsedChatResponse[T], OpenRouterCoreError]:
    """The async twin of ``chat_parse``."""
    from funcs.chat_send import chat_send_async

    body = _request(params, response_type)
    if isinstance(body, Failure):
        return Failure(body.failure())
    sent = await chat_send_async(core, body.unwrap(), stream=False, **options)
    if isinstance(sent, Failure):
        return Failure(sent.failure())
    return _parsed(sent.unwrap(), response_type)
