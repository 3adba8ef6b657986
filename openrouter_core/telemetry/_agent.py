"""The ``invoke_agent`` span of a streamed tool loop (``call_model(..., stream=True)``).

A non-streamed loop runs inside one ``with agent_span(...)`` block. A streamed one cannot: its
steps run while the caller iterates, so a span kept current from the start would be the
caller's current span between two events too (and a stream read partly and left would never
give it back). Here the span is made current only while a step runs (:meth:`AgentRun.within`,
:meth:`AgentRun.awithin`), so each turn's chat span and each ``execute_tool`` span are its
children, and it ends once: when the stream ends (read to its end, collected, closed, cut by an
error) or, dropped without being closed, as a dropped chat stream's span does (a finalizer
hands the end to the streams' janitor thread, or to the event loop of an async stream).

Imported only once a tracer provider is set.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from openrouter_core.telemetry import Activity

if TYPE_CHECKING:
    import asyncio

__all__ = ["AgentRun"]

logger = logging.getLogger("openrouter_core")

T = TypeVar("T")


class AgentRun:
    """The span of one streamed loop: current only while one of its steps runs."""

    __slots__ = ("_abandon", "_context", "_ended", "_otel_context", "activity")

    def __init__(self, span: Any, trace: Any, capture: bool) -> None:
        from opentelemetry import context

        self.activity = Activity(span, trace, capture)
        self._otel_context: Any = context
        self._context = trace.set_span_in_context(span)
        self._ended = False
        self._abandon: weakref.finalize[Any, Any] | None = None

    # -- steps -----------------------------------------------------------------------------------

    def enter(self) -> object:
        """Make the span the current one (a token for :meth:`leave`)."""
        return self._otel_context.attach(self._context)

    def leave(self, token: object) -> None:
        """Undo :meth:`enter`."""
        self._otel_context.detach(token)

    def within(self, steps: Generator[T, None, None]) -> Iterator[T]:
        """``steps`` with the span current while each one runs, never while the caller holds
        what it yielded: every attach is undone before the item is handed out, in the same
        context, whatever the caller does between two items."""
        try:
            while True:
                token = self.enter()
                try:
                    item = next(steps)
                except StopIteration:
                    return
                finally:
                    self.leave(token)
                yield item
        finally:
            token = self.enter()  # closing a turn's stream ends its chat span, under this one
            try:
                steps.close()
            finally:
                self.leave(token)

    async def awithin(self, steps: AsyncGenerator[T, None]) -> AsyncIterator[T]:
        """The async twin of :meth:`within`."""
        try:
            while True:
                token = self.enter()
                try:
                    item = await steps.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    self.leave(token)
                yield item
        finally:
            token = self.enter()
            try:
                await steps.aclose()
            finally:
                self.leave(token)

    # -- the end ---------------------------------------------------------------------------------

    def watch(self, stream: object, loop: asyncio.AbstractEventLoop | None) -> None:
        """End the span as ``abandoned`` should ``stream`` be dropped before it ends; ``loop``:
        an async stream's event loop (None: a sync stream)."""
        from openrouter_core._machinery.janitor import _janitor

        # Started here, never from the finalizer; an async stream needs it too, should it be
        # dropped after its loop closed.
        _janitor.ready()
        if loop is None:
            self._abandon = weakref.finalize(stream, _dropped, self)
        else:
            self._abandon = weakref.finalize(stream, _dropped_async, self, loop)

    def end(self, outcome: str, error: BaseException | None = None) -> None:
        """End the span (once; later calls do nothing): ``openrouter.stream.outcome`` as a chat
        stream's, and with ``error`` an ERROR status and its ``error.type``."""
        if self._ended:
            return
        self._ended = True
        if self._abandon is not None:
            self._abandon.detach()
        try:
            self.activity.set("openrouter.stream.outcome", outcome)
            if error is not None:
                self.activity.fail(error)
            self.activity._span.end()
        except Exception:  # the stream's caller never sees telemetry fail
            logger.warning("telemetry failed ending an invoke_agent span", exc_info=True)

    def abandoned(self) -> None:
        """The stream was dropped without being closed (reported off the garbage collection)."""
        self.end("abandoned")


def _dropped(run: AgentRun) -> None:
    # A finalizer: it may run inside a garbage collection, where an exporter must not run (it
    # may take a lock the collected code holds); the janitor's thread ends the span.
    from openrouter_core._machinery.janitor import _janitor

    _janitor.call_later(run.abandoned)


def _dropped_async(run: AgentRun, loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed():
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(run.abandoned)
            return
    _dropped(run)  # its loop is gone: the janitor's thread ends the span
