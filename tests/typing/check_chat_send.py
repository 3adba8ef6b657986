"""Static types of ``funcs.chat_send``, checked by mypy --strict and pyright alike.

Nothing here runs: every check sits in a function that is never called, so importing this
module is free. Each ``assert_type`` fails the checker when the inferred type differs.

mypy narrows ``Result[X, E]`` to ``Success[Any]`` / ``Failure[Any]`` in ``match`` and
``isinstance`` (python/mypy#12146), so ``case Success(response)`` binds ``Any`` there while pyright
binds ``X``. The forms checked below give the precise type under both checkers:

* a class sub-pattern: ``case Success(ChatResponse() as response)`` and
  ``case Failure(OpenRouterCoreError() as error)`` (the README's form);
* ``.unwrap()`` / ``.failure()`` on the un-narrowed Result, e.g. behind ``is_successful``.
"""

from __future__ import annotations

from typing import Any, assert_type

from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from funcs.chat_send import chat_send, chat_send_async, chat_stream, chat_stream_async
from openrouter_core import OpenRouterCore, OpenRouterCoreError, StreamError
from openrouter_core.chat import AsyncChatStream, ChatStream
from openrouter_core.models import ChatGenerationParams, ChatResponse, ChatStreamChunk


def check_chat_send_results(
    core: OpenRouterCore,
    params: dict[str, Any],
    typed: ChatGenerationParams,
    flag: bool,
    maybe: bool | None,
) -> None:
    assert_type(chat_send(core, params, stream=False), Result[ChatResponse, OpenRouterCoreError])
    assert_type(chat_send(core, params, stream=True), Result[ChatStream, OpenRouterCoreError])
    assert_type(chat_send(core, params), Result[ChatResponse | ChatStream, OpenRouterCoreError])
    assert_type(
        chat_send(core, params, stream=None), Result[ChatResponse | ChatStream, OpenRouterCoreError]
    )
    assert_type(
        chat_send(core, params, stream=flag), Result[ChatResponse | ChatStream, OpenRouterCoreError]
    )
    assert_type(
        chat_send(core, params, stream=maybe),
        Result[ChatResponse | ChatStream, OpenRouterCoreError],
    )
    assert_type(chat_send(core, typed, stream=False), Result[ChatResponse, OpenRouterCoreError])
    assert_type(chat_stream(core, params), Result[ChatStream, OpenRouterCoreError])
    assert_type(chat_stream(core, typed), Result[ChatStream, OpenRouterCoreError])


def check_unwrap_and_failure(core: OpenRouterCore, params: dict[str, Any]) -> None:
    reply = chat_send(core, params, stream=False)
    assert_type(reply.unwrap(), ChatResponse)
    assert_type(reply.failure(), OpenRouterCoreError)
    assert_type(reply.value_or(None), ChatResponse | None)
    streamed = chat_stream(core, params)
    assert_type(streamed.unwrap(), ChatStream)
    assert_type(streamed.failure(), OpenRouterCoreError)
    either = chat_send(core, params)
    assert_type(either.unwrap(), ChatResponse | ChatStream)
    assert_type(either.failure(), OpenRouterCoreError)


def check_is_successful_form(core: OpenRouterCore, params: dict[str, Any]) -> None:
    result = chat_send(core, params, stream=False)
    if is_successful(result):
        assert_type(result.unwrap(), ChatResponse)
    else:
        assert_type(result.failure(), OpenRouterCoreError)


def check_match_reply(core: OpenRouterCore, params: dict[str, Any]) -> None:
    match chat_send(core, params, stream=False):
        case Success(ChatResponse() as response):
            assert_type(response, ChatResponse)
        case Failure(OpenRouterCoreError() as error):
            assert_type(error, OpenRouterCoreError)


def check_match_either(core: OpenRouterCore, params: dict[str, Any]) -> None:
    match chat_send(core, params):
        case Success(ChatResponse() as response):
            assert_type(response, ChatResponse)
        case Success(ChatStream() as stream):
            assert_type(stream, ChatStream)
        case Failure(OpenRouterCoreError() as error):
            assert_type(error, OpenRouterCoreError)


def check_stream(core: OpenRouterCore, params: dict[str, Any]) -> None:
    match chat_stream(core, params):
        case Success(ChatStream() as stream):
            assert_type(stream, ChatStream)
            with stream as entered:
                assert_type(entered, ChatStream)
                assert_type(next(stream), Result[ChatStreamChunk, StreamError])
                for item in stream:
                    assert_type(item, Result[ChatStreamChunk, StreamError])
                    assert_type(item.unwrap(), ChatStreamChunk)
                    assert_type(item.failure(), StreamError)
                    match item:
                        case Success(ChatStreamChunk() as chunk):
                            assert_type(chunk, ChatStreamChunk)
                        case Failure(StreamError() as broke):
                            assert_type(broke, StreamError)
                            assert_type(broke.partial, Any)  # what arrived, of any stream
                collected = stream.collect()
                assert_type(collected, Result[ChatResponse, StreamError])
                assert_type(collected.unwrap(), ChatResponse)
                assert_type(collected.failure(), StreamError)
        case Failure(OpenRouterCoreError() as error):
            assert_type(error, OpenRouterCoreError)


async def check_chat_send_async_results(
    core: OpenRouterCore,
    params: dict[str, Any],
    typed: ChatGenerationParams,
    flag: bool,
    maybe: bool | None,
) -> None:
    assert_type(
        await chat_send_async(core, params, stream=False),
        Result[ChatResponse, OpenRouterCoreError],
    )
    assert_type(
        await chat_send_async(core, params, stream=True),
        Result[AsyncChatStream, OpenRouterCoreError],
    )
    assert_type(
        await chat_send_async(core, params),
        Result[ChatResponse | AsyncChatStream, OpenRouterCoreError],
    )
    assert_type(
        await chat_send_async(core, params, stream=None),
        Result[ChatResponse | AsyncChatStream, OpenRouterCoreError],
    )
    assert_type(
        await chat_send_async(core, params, stream=flag),
        Result[ChatResponse | AsyncChatStream, OpenRouterCoreError],
    )
    assert_type(
        await chat_send_async(core, params, stream=maybe),
        Result[ChatResponse | AsyncChatStream, OpenRouterCoreError],
    )
    assert_type(
        await chat_send_async(core, typed, stream=False),
        Result[ChatResponse, OpenRouterCoreError],
    )
    assert_type(await chat_stream_async(core, params), Result[AsyncChatStream, OpenRouterCoreError])


async def check_match_reply_async(core: OpenRouterCore, params: dict[str, Any]) -> None:
    match await chat_send_async(core, params, stream=False):
        case Success(ChatResponse() as response):
            assert_type(response, ChatResponse)
        case Failure(OpenRouterCoreError() as error):
            assert_type(error, OpenRouterCoreError)


async def check_stream_async(core: OpenRouterCore, params: dict[str, Any]) -> None:
    match await chat_stream_async(core, params):
        case Success(AsyncChatStream() as stream):
            assert_type(stream, AsyncChatStream)
            async with stream as entered:
                assert_type(entered, AsyncChatStream)
                assert_type(await anext(stream), Result[ChatStreamChunk, StreamError])
                async for item in stream:
                    assert_type(item, Result[ChatStreamChunk, StreamError])
                    match item:
                        case Success(ChatStreamChunk() as chunk):
                            assert_type(chunk, ChatStreamChunk)
                        case Failure(StreamError() as broke):
                            assert_type(broke, StreamError)
                collected = await stream.collect()
                assert_type(collected, Result[ChatResponse, StreamError])
                assert_type(collected.unwrap(), ChatResponse)
                assert_type(collected.failure(), StreamError)
        case Failure(OpenRouterCoreError() as error):
            assert_type(error, OpenRouterCoreError)
