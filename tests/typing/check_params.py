"""Static types of ``params``: the request bodies' TypedDicts, checked by mypy --strict and pyright.

Nothing here runs. A ``# type: ignore`` marks a line both checkers must reject (an ignore that
is not needed is an error under both: mypy's warn_unused_ignores, pyright's
reportUnnecessaryTypeIgnoreComment), so the TypedDicts are held to refusing what the API
refuses: an unknown key, a missing required key, a value outside a closed enum.
"""

from __future__ import annotations

from typing import Any, assert_type

from returns.result import Result

from funcs.api_keys_create import api_keys_create
from funcs.chat_send import chat_send
from funcs.responses_send import responses_send
from openrouter_core import OpenRouterCore, OpenRouterCoreError
from openrouter_core.models import ChatResponse
from openrouter_core.models.api_keys import ApiKeysCreateRequest, ApiKeysCreateResponse
from openrouter_core.params.api_keys import ApiKeysCreateRequestDict
from openrouter_core.params.chat import ChatGenerationParamsDict, ChatUserMessageDict
from openrouter_core.params.responses import ResponsesRequestDict


def check_each_form_of_params(core: OpenRouterCore, loose: dict[str, Any]) -> None:
    typed: ChatGenerationParamsDict = {
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.2,
        "reasoning": {"effort": "low"},
        "response_format": {"type": "json_object"},
    }
    assert_type(chat_send(core, typed, stream=False), Result[ChatResponse, OpenRouterCoreError])
    # Any mapping too (checked at run time, as every form is).
    assert_type(chat_send(core, loose, stream=False), Result[ChatResponse, OpenRouterCoreError])
    body: ApiKeysCreateRequestDict = {"name": "ci", "limit": 10.0, "limit_reset": "monthly"}
    for created in (
        api_keys_create(core, body),
        api_keys_create(core, ApiKeysCreateRequest(name="ci")),
        api_keys_create(core, {"name": "ci"}),
    ):
        assert_type(created, Result[ApiKeysCreateResponse, OpenRouterCoreError])


def check_what_the_typeddicts_refuse() -> None:
    typo: ChatGenerationParamsDict = {"messages": [], "temprature": 0.2}  # type: ignore[typeddict-unknown-key]
    missing: ChatGenerationParamsDict = {"model": "m"}  # type: ignore[typeddict-item]
    role: ChatUserMessageDict = {"role": "wizard", "content": "hi"}  # type: ignore[typeddict-item]
    reset: ApiKeysCreateRequestDict = {"name": "ci", "limit_reset": "yearly"}  # type: ignore[typeddict-item]
    given: ResponsesRequestDict = {"input": 1}  # type: ignore[typeddict-item]
    print(typo, missing, role, reset, given)


def check_nested_typeddicts(core: OpenRouterCore) -> None:
    message: ChatUserMessageDict = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ],
    }
    params: ChatGenerationParamsDict = {
        "messages": [message],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
        "provider": {"order": ["openai"], "allow_fallbacks": False},
    }
    request: ResponsesRequestDict = {"model": "openai/gpt-4o-mini", "input": "Say hi"}
    assert_type(chat_send(core, params, stream=False), Result[ChatResponse, OpenRouterCoreError])
    assert responses_send(core, request, stream=False)
