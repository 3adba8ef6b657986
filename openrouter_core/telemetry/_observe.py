"""One observer per call: what the call tells its hooks and OpenTelemetry.

The attempt loop yields a ``Note`` step at each request, response and retry; the drivers hand it
to :meth:`Observer.note` (sync) or :meth:`Observer.anote` (async, which awaits async hooks).
:func:`observed` / :func:`observed_async` run a call with an observer: the span (if any) is the
current one while the attempts run, and the call's Result ends it, or, for a stream, the end of
the stream does (read to its end, closed, failed, or dropped: a finalizer reports that one
outside the garbage collection, as the stream's own cleanup does).

Nothing here may change a call's Result: a hook that raises is logged, and so is a failure of
the observer itself. Loaded only when a core has hooks or the application loaded OpenTelemetry.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import time
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from returns.result import Failure, Result, Success

from openrouter_core._machinery.attempts import run_async, run_sync
from openrouter_core.hooks import (
    RequestEvent,
    ResponseEvent,
    ResultEvent,
    RetryEvent,
    StreamEndEvent,
)

if TYPE_CHECKING:
    import asyncio

    from openrouter_core._machinery.operation import Operation
    from openrouter_core._machinery.request import Prepared
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError
    from openrouter_core.hooks import Hook, Hooks

__all__ = ["Observer", "fire", "fire_async", "observed", "observed_async", "safe_url"]

logger = logging.getLogger("openrouter_core")

Pending = tuple[tuple["Hook", ...], Any] | None

#: Query parameters whose values are credentials wherever they appear.
_SECRET_QUERY = frozenset(
    {"key", "api_key", "apikey", "token", "access_token", "sig", "signature", "password"}
)
REDACTED = "REDACTED"


def safe_url(url: str, key: str | None = None) -> str:
    """``url`` without credentials: user info, secret query values, and the key if present."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = f"{REDACTED}:{REDACTED}@{netloc.rpartition('@')[2]}"
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(name.lower() in _SECRET_QUERY for name, _ in pairs):
                query = urlencode(
                    [(n, REDACTED if n.lower() in _SECRET_QUERY else v) for n, v in pairs]
                )
        url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # not a URL that parses: only the key is removed
        pass
    return url.replace(key, REDACTED) if key else url


def _name(hook: object) -> str:
    return str(getattr(hook, "__qualname__", None) or type(hook).__name__)


def fire(hooks: tuple[Hook, ...], event: Any) -> None:
    """Call sync hooks; one that raises is logged, one that returns an awaitable is skipped."""
    for hook in hooks:
        try:
            value = hook(event)
        except Exception:
            logger.warning("hook %s raised on %s", _name(hook), type(event).__name__, exc_info=True)
            continue
        if hasattr(value, "__await__"):
            close = getattr(value, "close", None)
            if close is not None:
                close()  # never awaited: closed so it does not warn when collected
            logger.warning(
                "hook %s is async: a sync call runs sync hooks only (skipped)", _name(hook)
            )


async def fire_async(hooks: tuple[Hook, ...], event: Any) -> None:
    """Call hooks in an async call, awaiting the ones that return an awaitable."""
    for hook in hooks:
        try:
            value = hook(event)
            if hasattr(value, "__await__"):
                await value
        except Exception:
            logger.warning("hook %s raised on %s", _name(hook), type(event).__name__, exc_info=True)


def _guarded(method: Any) -> Any:
    """The observer's own failures are logged, never passed on to the call."""

    @functools.wraps(method)
    def wrapper(*args: Any) -> Any:
        try:
            return method(*args)
        except Exception:
            logger.warning("telemetry failed in %s", method.__name__, exc_info=True)
            return None

    return wrapper


def _key(core: OpenRouterCore) -> str | None:
    key = core.api_key
    return key if isinstance(key, str) and len(key) >= 8 else None


class Observer:
    """What one call tells its hooks and its span (if any)."""

    __slots__ = (
        "__weakref__",
        "_abandon",
        "_ended",
        "_span",
        "attempts",
        "hooks",
        "key",
        "operation",
        "prepared",
        "started",
        "sync",
        "telemetry",
        "ttfc",
    )

    def __init__(
        self,
        op: Operation[Any],
        core: OpenRouterCore,
        params: object,
        prepared: Prepared | None,
        *,
        sync: bool,
        hooks: Hooks | None,
        otel: Any,
    ) -> None:
        self.operation = op.name
        self.prepared = prepared
        self.sync = sync
        self.hooks = hooks
        self.key = _key(core)
        self.started = time.monotonic()
        self.attempts = 0
        self.ttfc: float | None = None
        self._abandon: weakref.finalize[Any, Any] | None = None
        self._ended = False
        #: The call's OpenTelemetry part (``_otel.CallTelemetry``), or None.
        self.telemetry: Any = None
        if otel is not None:
            from openrouter_core.telemetry._otel import CallTelemetry

            url = safe_url(prepared.url if prepared is not None else "", self.key)
            self.telemetry = CallTelemetry(otel, op, core, params, prepared, url, self.key)

    # -- what the attempt loop tells (through the drivers) --------------------------------------

    def note(self, kind: str, args: tuple[Any, ...]) -> None:
        """A ``Note`` step of a sync call."""
        pending = self._note(kind, args)
        if pending is not None:
            fire(*pending)

    async def anote(self, kind: str, args: tuple[Any, ...]) -> None:
        """A ``Note`` step of an async call."""
        pending = self._note(kind, args)
        if pending is not None:
            await fire_async(*pending)

    @_guarded
    def _note(self, kind: str, args: tuple[Any, ...]) -> Pending:
        hooks = self.hooks
        telemetry = self.telemetry
        if kind == "request":
            (attempt,) = args
            self.attempts = attempt
            if hooks is not None and hooks.request:
                prepared = self.prepared
                assert prepared is not None  # a request is sent only once prepared
                content = prepared.content
                event = RequestEvent(
                    operation=self.operation,
                    method=prepared.method,
                    url=safe_url(prepared.url, self.key),
                    attempt=attempt,
                    body_size=len(content)
                    if content is not None
                    else (None if prepared.files else 0),
                )
                return hooks.request, event
        elif kind == "response":
            attempt, response, elapsed = args
            if telemetry is not None:
                telemetry.status(response.status_code)
            if hooks is not None and hooks.response:
                from openrouter_core._machinery.classify import headers_dict
                from openrouter_core._machinery.http import HTTPInfo

                info = HTTPInfo(status_code=response.status_code, raw_headers=response.headers)
                answered = ResponseEvent(
                    operation=self.operation,
                    attempt=attempt,
                    status_code=response.status_code,
                    headers=headers_dict(response.headers),
                    elapsed=elapsed,
                    request_id=info.request_id,
                )
                return hooks.response, answered
        elif kind == "retry":
            attempt, delay, error = args
            if telemetry is not None:
                telemetry.retry(attempt, delay, error)
            if hooks is not None and hooks.retry:
                retried = RetryEvent(
                    operation=self.operation, attempt=attempt, delay=delay, reason=error
                )
                return hooks.retry, retried
        return None

    # -- the call's end --------------------------------------------------------------------------

    def enter(self) -> Any:
        """Make the call's span the current one (a token for :meth:`leave`)."""
        return self.telemetry.enter() if self.telemetry is not None else None

    def leave(self, token: Any) -> None:
        """Undo :meth:`enter`."""
        if token is not None:
            self.telemetry.leave(token)

    @_guarded
    def abort(self, exc: BaseException) -> None:
        """The call was cancelled (``exc`` passes on): its span ends with it."""
        self._ended = True
        if self.telemetry is not None:
            self.telemetry.cancelled(exc, time.monotonic() - self.started)

    @_guarded
    def finish(self, result: Result[Any, OpenRouterCoreError]) -> Pending:
        """The call's Result: the span ends, unless the Success is a stream (its end does)."""
        elapsed = time.monotonic() - self.started
        value = result.unwrap() if isinstance(result, Success) else None
        streams = sys.modules.get("openrouter_core._machinery.stream")
        if streams is not None and isinstance(value, streams._StreamBase):
            self._watch(value)
        else:
            self._ended = True
            if self.telemetry is not None:
                self.telemetry.finish(result, self.attempts, elapsed)
        hooks = self.hooks
        if hooks is not None and hooks.result:
            event = ResultEvent(
                operation=self.operation, result=result, attempts=self.attempts, elapsed=elapsed
            )
            return hooks.result, event
        return None

    # -- a stream's end --------------------------------------------------------------------------

    def _watch(self, stream: Any) -> None:
        http = stream.http
        self.ttfc = http.elapsed if http is not None else None
        stream._observer = self
        state = stream._state
        # The finalizer holds the observer and the stream's state, never the stream. The
        # janitor's thread ends the span of a stream dropped without its event loop (or any
        # dropped sync stream): started here, never from the finalizer.
        from openrouter_core._machinery.janitor import _janitor

        _janitor.ready()
        if self.sync:
            self._abandon = weakref.finalize(stream, _abandoned, self, state)
        else:
            import asyncio

            loop = asyncio.get_running_loop()
            self._abandon = weakref.finalize(stream, _abandoned_async, self, state, loop)

    def stream_ended(self, stream: Any) -> None:
        """The sync stream this call returned has been closed (``Stream.close``)."""
        pending = self._stream_end(stream._state, None)
        if pending is not None:
            fire(*pending)

    async def astream_ended(self, stream: Any) -> None:
        """The async stream this call returned has been closed (``AsyncStream.aclose``)."""
        pending = self._stream_end(stream._state, None)
        if pending is not None:
            await fire_async(*pending)

    @_guarded
    def _stream_end(self, state: Any, outcome: str | None) -> Pending:
        if self._abandon is not None:
            self._abandon.detach()
        if self._ended:
            return None
        self._ended = True
        failure = state.failure
        if outcome is None:
            outcome = (
                "failed"
                if failure is not None
                else ("closed" if state.closed_early else "completed")
            )
        elapsed = time.monotonic() - self.started
        chunks = int(state.acc.chunks)
        if self.telemetry is not None:
            self.telemetry.stream_end(state, outcome, chunks, self.ttfc, self.attempts, elapsed)
        hooks = self.hooks
        if hooks is not None and hooks.stream_end:
            event = StreamEndEvent(
                operation=self.operation,
                outcome=outcome,  # type: ignore[arg-type]  # one of the four
                chunks=chunks,
                time_to_first_chunk=self.ttfc if chunks else None,
                elapsed=elapsed,
                error=failure,
            )
            return hooks.stream_end, event
        return None

    def abandoned(self, state: Any) -> None:
        """A dropped sync stream, reported from the janitor's thread."""
        pending = self._stream_end(state, "abandoned")
        if pending is not None:
            fire(*pending)

    async def aabandoned(self, state: Any) -> None:
        """A dropped async stream, reported on its event loop."""
        pending = self._stream_end(state, "abandoned")
        if pending is not None:
            await fire_async(*pending)


def _abandoned(observer: Observer, state: Any) -> None:
    # A finalizer: it may run inside a garbage collection, where hooks and exporters must not
    # (they may take locks the collected code holds); the stream's janitor thread runs it.
    from openrouter_core._machinery.janitor import _janitor

    _janitor.call_later(functools.partial(observer.abandoned, state))


#: Tasks reporting dropped async streams; referenced so they are not collected early.
_reporting: set[Any] = set()


def _abandoned_async(observer: Observer, state: Any, loop: asyncio.AbstractEventLoop) -> None:
    def start() -> None:
        task = loop.create_task(observer.aabandoned(state))
        _reporting.add(task)
        task.add_done_callback(_reporting.discard)

    if not loop.is_closed():
        with contextlib.suppress(RuntimeError):  # the loop closed in between
            loop.call_soon_threadsafe(start)
            return
    # Dropped after its event loop closed (asyncio.run returned): the span still ends, on the
    # janitor's thread, where only sync hooks can run.
    _abandoned(observer, state)


def _start(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    prepared: Result[Prepared, OpenRouterCoreError],
    sync: bool,
) -> Observer | None:
    otel = None
    if core.telemetry and "opentelemetry" in sys.modules:
        from openrouter_core.telemetry._otel import providers

        otel = providers()
    if core.hooks is None and otel is None:
        return None
    try:
        return Observer(
            op,
            core,
            params,
            prepared.unwrap() if isinstance(prepared, Success) else None,
            sync=sync,
            hooks=core.hooks,
            otel=otel,
        )
    except Exception:
        logger.warning("telemetry failed to start for %s", op.name, exc_info=True)
        return None


def observed(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    prepared: Result[Prepared, OpenRouterCoreError],
) -> Result[Any, OpenRouterCoreError]:
    """Run a sync call with its observer (when someone listens)."""
    observer = _start(op, core, params, prepared, sync=True)
    if observer is None:
        return prepared if isinstance(prepared, Failure) else run_sync(core, prepared.unwrap())
    token = observer.enter()
    try:
        result = (
            prepared
            if isinstance(prepared, Failure)
            else run_sync(core, prepared.unwrap(), observer=observer)
        )
    except BaseException as exc:  # cancellation passes, after the span has ended
        observer.abort(exc)
        raise
    finally:
        observer.leave(token)
    pending = observer.finish(result)
    if pending is not None:
        fire(*pending)
    return result


async def observed_async(
    op: Operation[Any],
    core: OpenRouterCore,
    params: object,
    prepared: Result[Prepared, OpenRouterCoreError],
) -> Result[Any, OpenRouterCoreError]:
    """Run an async call with its observer (when someone listens)."""
    observer = _start(op, core, params, prepared, sync=False)
    if observer is None:
        if isinstance(prepared, Failure):
            return prepared
        return await run_async(core, prepared.unwrap())
    token = observer.enter()
    try:
        result = (
            prepared
            if isinstance(prepared, Failure)
            else await run_async(core, prepared.unwrap(), observer=observer)
        )
    except BaseException as exc:  # as in observed
        observer.abort(exc)
        raise
    finally:
        observer.leave(token)
    pending = observer.finish(result)
    if pending is not None:
        await fire_async(*pending)
    return result
