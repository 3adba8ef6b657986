"""``chat_send``: POST /chat/completions, streaming or not, sync or async, as a Result.

>>> match chat_send(core, {"model": "openai/gpt-4o-mini",
...                        "messages": [{"role": "user", "content": "Hello"}]}):
...     case Success(response): print(response.choices[0].message.content)
...     case Failure(error): print("chat failed:", error)

With ``"stream": True`` in the params (or ``stream=True``) the Success holds a stream instead.
Static types follow the ``stream=`` keyword: ``stream=False`` gives ``Result[ChatResponse, ...]``,
``stream=True`` gives ``Result[ChatStream, ...]``; ``chat_stream`` always streams.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from returns.result import Failure, Result

if TYPE_CHECKING:
    from openrouter_core._transport import RetriesArg, TimeoutArg
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError
    from openrouter_core.models import ChatGenerationParams, ChatResponse
    from openrouter_core.streaming import AsyncChatStream, ChatStream

    Params = Mapping[str, Any] | ChatGenerationParams

__all__ = ["chat_send", "chat_send_async", "chat_stream", "chat_stream_async"]


@overload
def chat_send(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: Literal[True],
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatStream, OpenRouterCoreError]: ...
@overload
def chat_send(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: Literal[False],
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatResponse, OpenRouterCoreError]: ...
@overload
def chat_send(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: bool | None,
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatResponse | ChatStream, OpenRouterCoreError]: ...
@overload
def chat_send(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: None = ...,
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatResponse | ChatStream, OpenRouterCoreError]: ...
def chat_send(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: bool | None = None,
    timeout: TimeoutArg = None,
    retries: RetriesArg = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    first_content_timeout: float | None = None,
    chunk_gap_timeout: float | None = None,
) -> Result[ChatResponse | ChatStream, OpenRouterCoreError]:
    """Send a chat completion request and return ``Success(response)`` or ``Failure(error)``.

    ``params`` is a mapping of wire fields or a ``ChatGenerationParams``. A streaming request
    returns ``Success(ChatStream)``. Per-call options override the core: ``timeout`` (seconds
    or ``httpx.Timeout``), ``retries`` (a ``RetryConfig`` or a retry count), ``extra_headers``,
    ``extra_body`` (fields merged into the JSON body), and the stream watchdogs
    ``first_content_timeout`` / ``chunk_gap_timeout``. Never raises except on cancellation.
    """
    from openrouter_core import _transport

    prepared = _transport.prepare(
        core,
        params,
        stream=stream,
        timeout=timeout,
        retries=retries,
        extra_headers=extra_headers,
        extra_body=extra_body,
        first_content_timeout=first_content_timeout,
        chunk_gap_timeout=chunk_gap_timeout,
    )
    if isinstance(prepared, Failure):
        return prepared
    return _transport.send_sync(core, prepared.unwrap())


def chat_stream(
    core: OpenRouterCore,
    params: Params,
    *,
    timeout: TimeoutArg = None,
    retries: RetriesArg = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    first_content_timeout: float | None = None,
    chunk_gap_timeout: float | None = None,
) -> Result[ChatStream, OpenRouterCoreError]:
    """``chat_send`` with ``stream=True``: always ``Success(ChatStream)`` or a Failure."""
    return chat_send(
        core,
        params,
        stream=True,
        timeout=timeout,
        retries=retries,
        extra_headers=extra_headers,
        extra_body=extra_body,
        first_content_timeout=first_content_timeout,
        chunk_gap_timeout=chunk_gap_timeout,
    )


@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: Literal[True],
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[AsyncChatStream, OpenRouterCoreError]: ...
@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: Literal[False],
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatResponse, OpenRouterCoreError]: ...
@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: bool | None,
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatResponse | AsyncChatStream, OpenRouterCoreError]: ...
@overload
async def chat_send_async(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: None = ...,
    timeout: TimeoutArg = ...,
    retries: RetriesArg = ...,
    extra_headers: Mapping[str, str] | None = ...,
    extra_body: Mapping[str, Any] | None = ...,
    first_content_timeout: float | None = ...,
    chunk_gap_timeout: float | None = ...,
) -> Result[ChatResponse | AsyncChatStream, OpenRouterCoreError]: ...
async def chat_send_async(
    core: OpenRouterCore,
    params: Params,
    *,
    stream: bool | None = None,
    timeout: TimeoutArg = None,
    retries: RetriesArg = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    first_content_timeout: float | None = None,
    chunk_gap_timeout: float | None = None,
) -> Result[ChatResponse | AsyncChatStream, OpenRouterCoreError]:
    """The async twin of ``chat_send``; a streaming request gives ``Success(AsyncChatStream)``."""
    from openrouter_core import _transport

    prepared = _transport.prepare(
        core,
        params,
        stream=stream,
        timeout=timeout,
        retries=retries,
        extra_headers=extra_headers,
        extra_body=extra_body,
        first_content_timeout=first_content_timeout,
        chunk_gap_timeout=chunk_gap_timeout,
    )
    if isinstance(prepared, Failure):
        return prepared
    return await _transport.send_async(core, prepared.unwrap())


async def chat_stream_async(
    core: OpenRouterCore,
    params: Params,
    *,
    timeout: TimeoutArg = None,
    retries: RetriesArg = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
    first_content_timeout: float | None = None,
    chunk_gap_timeout: float | None = None,
) -> Result[AsyncChatStream, OpenRouterCoreError]:
    """``chat_send_async`` with ``stream=True``."""
    return await chat_send_async(
        core,
        params,
        stream=True,
        timeout=timeout,
        retries=retries,
        extra_headers=extra_headers,
        extra_body=extra_body,
        first_content_timeout=first_content_timeout,
        chunk_gap_timeout=chunk_gap_timeout,
    )
