"""``chat_send``: ``POST /chat/completions``, streaming or not, sync or async, as a Result.

>>> match chat_send(core, params, stream=False):
...     case Success(ChatResponse() as response): print(response.choices[0].message.content)
...     case Failure(OpenRouterCoreError() as error): print("chat failed:", error)

With ``"stream": True`` in the params (or ``stream=True``) the Success holds a stream instead.
Static types follow the ``stream=`` keyword: ``stream=False`` gives ``Result[ChatResponse, ...]``,
``stream=True`` gives ``Result[ChatStream, ...]``; ``chat_stream`` always streams.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Literal, Unpack, overload

from returns.result import Result

# Each a stand-in that imports its module on first use (a call, typing.get_type_hints).
from funcs._aliases import (
    call as _call,
    chat_stream as _streams,
    models as _models,
    operation as _operation,
    params_chat as _params,
)
from openrouter_core import CallOptions, OpenRouterCore, OpenRouterCoreError

__all__ = ["chat_send", "chat_send_async", "chat_stream", "chat_stream_async"]


@functools.cache
def operation() -> _operation.Operation[_models.ChatResponse]:
    """The declaration of ``POST /chat/completions`` (built on first use: importing this
    module loads no models)."""
    from openrouter_core._machinery.operation import Operation, lazy_stream
    from openrouter_core.chat.errors import choice_error
    from openrouter_core.errors import ChatError
    from openrouter_core.models import ChatGenerationParams, ChatResponse

    return Operation(
        name="chat_send",
        method="POST",
        path="/chat/completions",
        body=ChatGenerationParams,
        read=ChatResponse.from_dict,
        reported_error=choice_error,
        error_class=ChatError,
        stream=lazy_stream(_chat_stream),
    )


def _chat_stream() -> _operation.StreamSpec[_models.ChatStreamChunk, _models.ChatResponse]:
    from openrouter_core.chat.stream import CHAT_STREAM

    return CHAT_STREAM


@overload
def chat_send(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: Literal[True],
    **options: Unpack[CallOptions],
) -> Result[_streams.ChatStream, OpenRouterCoreError]: ...
@overload
def chat_send(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: Literal[False],
    **options: Unpack[CallOptions],
) -> Result[_models.ChatResponse, OpenRouterCoreError]: ...
@overload
def chat_send(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: bool | None = ...,
    **options: Unpack[CallOptions],
) -> Result[_models.ChatResponse | _streams.ChatStream, OpenRouterCoreError]: ...
def chat_send(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: bool | None = None,
    **options: Unpack[CallOptions],
) -> Result[_models.ChatResponse | _streams.ChatStream, OpenRouterCoreError]:
    """Send a chat completion request and return ``Success(response)`` or ``Failure(error)``.

    ``params`` is a mapping of wire fields (typed as a ``ChatGenerationParamsDict`` from
    ``openrouter_core.params.chat``, its keys completed by editors) or a
    ``ChatGenerationParams``; both are checked before anything is sent. A streaming request
    returns ``Success(ChatStream)`` once its first chunk arrived. The per-call options
    (``timeout``, ``retries``, ``extra_headers``, ``extra_query``, ``extra_body``,
    ``first_content_timeout``, ``chunk_gap_timeout``; see ``CallOptions``) override the core's
    settings; ``None`` turns one off. Never raises except on cancellation.
    """
    return _call.call(operation(), core, params, options, stream=stream)


def chat_stream(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    **options: Unpack[CallOptions],
) -> Result[_streams.ChatStream, OpenRouterCoreError]:
    """``chat_send`` with ``stream=True``: always ``Success(ChatStream)`` or a Failure."""
    # Straight to ``call``: a ``stream=`` among the options is then refused as a Failure.
    return _call.call(operation(), core, params, options, stream=True)


@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: Literal[True],
    **options: Unpack[CallOptions],
) -> Result[_streams.AsyncChatStream, OpenRouterCoreError]: ...
@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: Literal[False],
    **options: Unpack[CallOptions],
) -> Result[_models.ChatResponse, OpenRouterCoreError]: ...
@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: bool | None = ...,
    **options: Unpack[CallOptions],
) -> Result[_models.ChatResponse | _streams.AsyncChatStream, OpenRouterCoreError]: ...
async def chat_send_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    *,
    stream: bool | None = None,
    **options: Unpack[CallOptions],
) -> Result[_models.ChatResponse | _streams.AsyncChatStream, OpenRouterCoreError]:
    """The async twin of ``chat_send``; a streaming request gives ``Success(AsyncChatStream)``."""
    return await _call.call_async(operation(), core, params, options, stream=stream)


async def chat_stream_async(
    core: OpenRouterCore,
    params: _models.ChatGenerationParams | _params.ChatGenerationParamsDict | Mapping[str, Any],
    **options: Unpack[CallOptions],
) -> Result[_streams.AsyncChatStream, OpenRouterCoreError]:
    """``chat_send_async`` with ``stream=True``."""
    return await _call.call_async(operation(), core, params, options, stream=True)
