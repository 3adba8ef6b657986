"""Event hooks: callables the core calls as a call goes along (configuration, immutable values).

>>> def show(event: ResultEvent) -> None:
...     print(event.operation, event.attempts, f"{event.elapsed:.3f}s")
>>> core = OpenRouterCore(hooks=Hooks(result=show, retry=[log_retry, count_retry]))

Each hook is called with one event value: :class:`RequestEvent` before every attempt is sent,
:class:`ResponseEvent` when an attempt's response headers arrive, :class:`RetryEvent` before the
wait of a retry, :class:`ResultEvent` with the call's Result, and :class:`StreamEndEvent` when a
stream a call returned ends (read to its end, closed, failed or dropped). A sync call calls sync
hooks; an async call also awaits hooks that return an awaitable (``async def`` hooks). A hook
that raises is logged on the ``openrouter_core`` logger and never changes the call's Result.
No event holds the API key: URLs are the request's (the key travels in a header), headers are
the response's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import attrs
from returns.result import Result

from openrouter_core.errors import OpenRouterCoreError, StreamError

__all__ = [
    "Hook",
    "Hooks",
    "RequestEvent",
    "ResponseEvent",
    "ResultEvent",
    "RetryEvent",
    "StreamEndEvent",
]

#: A hook: called with the event; what it returns is ignored (awaited first in async calls).
Hook = Callable[[Any], object]


@attrs.frozen(kw_only=True)
class RequestEvent:
    """An attempt is about to be sent."""

    #: The operation's function name (``chat_send``, ``models_list``, ...).
    operation: str
    method: str
    #: The request's URL (credentials in it, if any, replaced by ``REDACTED``).
    url: str
    #: 1 for the first attempt, 2 for the first retry, ...
    attempt: int
    #: Bytes of the JSON body; None for a multipart upload (its size is known only as it is sent).
    body_size: int | None


@attrs.frozen(kw_only=True)
class ResponseEvent:
    """An attempt's response arrived (its headers; the body is read after)."""

    operation: str
    attempt: int
    status_code: int
    #: Response headers, lower-case names.
    headers: Mapping[str, str]
    #: Seconds from sending this attempt to its response headers.
    elapsed: float
    #: ``x-generation-id`` or another request id header, if the response had one.
    request_id: str | None


@attrs.frozen(kw_only=True)
class RetryEvent:
    """An attempt failed and another one follows after ``delay`` seconds."""

    operation: str
    #: The attempt that failed.
    attempt: int
    delay: float
    #: Why: the failed attempt's error (a status error, a connection error, ...).
    reason: OpenRouterCoreError


@attrs.frozen(kw_only=True)
class ResultEvent:
    """The call ended with ``result`` (for a stream: once the stream started)."""

    operation: str
    result: Result[Any, OpenRouterCoreError]
    #: Attempts made (0: the request was refused before sending).
    attempts: int
    #: Seconds from the start of the call to its Result.
    elapsed: float


@attrs.frozen(kw_only=True)
class StreamEndEvent:
    """A stream a call returned has ended.

    ``outcome``: ``"completed"`` (read to its end), ``"closed"`` (closed before its end),
    ``"failed"`` (a stream error, in ``error``: cut off, timed out, reported by the server) or
    ``"abandoned"`` (dropped without being closed; reported after it was collected).
    """

    operation: str
    outcome: Literal["completed", "closed", "failed", "abandoned"]
    #: Events received.
    chunks: int
    #: Seconds from the start of the call to the first event; None if none arrived.
    time_to_first_chunk: float | None
    #: Seconds from the start of the call to the end of the stream.
    elapsed: float
    error: StreamError | None = None


def _hooks(value: Hook | Iterable[Hook] | None) -> tuple[Hook, ...]:
    """One hook or several, as a tuple; refused at once when one is not callable."""
    if value is None:
        return ()
    items: tuple[Any, ...] = (value,) if callable(value) else tuple(value)
    for item in items:
        if not callable(item):
            raise TypeError(f"a hook must be callable, not {type(item).__name__}")
    return items


@attrs.frozen(kw_only=True)
class Hooks:
    """The hooks of a core: each field takes one callable or a list of them (called in order).

    ``request`` gets :class:`RequestEvent`, ``response`` :class:`ResponseEvent`, ``retry``
    :class:`RetryEvent`, ``result`` :class:`ResultEvent`, ``stream_end``
    :class:`StreamEndEvent`.
    """

    request: tuple[Hook, ...] = attrs.field(default=None, converter=_hooks)
    response: tuple[Hook, ...] = attrs.field(default=None, converter=_hooks)
    retry: tuple[Hook, ...] = attrs.field(default=None, converter=_hooks)
    result: tuple[Hook, ...] = attrs.field(default=None, converter=_hooks)
    stream_end: tuple[Hook, ...] = attrs.field(default=None, converter=_hooks)
