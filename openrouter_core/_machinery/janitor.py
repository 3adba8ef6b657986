"""The process's one janitor thread, and what it does for sync streams.

A sync stream needs a second thread twice, and one daemon thread serves the whole process (no
thread or timer per stream, no private attribute of the HTTP libraries):

- Bounding the tail read. After its end a stream reads the rest of its body so that the
  connection can go back to the pool, within a short bound. There is no way to bound a blocking
  read from the reading thread itself, so the sync stream arms the janitor (``arm``), which shuts
  the socket down if the read is still waiting at the deadline.
- Closing dropped sync streams. A finalizer may run inside the cyclic garbage collector, on a
  thread that holds the HTTP pool's lock, so it only hands the response over (``close_later``,
  through ``_close_held``). Other finalizers hand their work over the same way (``call_later``:
  telemetry and the hooks reporting a dropped stream).

The thread starts with the first sync stream (``ready``), never on import nor from a finalizer;
importing this module builds the idle janitor only. Not pure: this is the thread.
"""

from __future__ import annotations

import contextlib
import heapq
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openrouter_core._client import SyncResponse


def _socket(response: Any) -> Any:
    """The response's socket (httpcore's ``network_stream`` extension, HTTP/1.1), or None."""
    try:
        stream = response.extensions.get("network_stream")
        return None if stream is None else stream.get_extra_info("socket")
    except Exception:  # another client, HTTP/2, or a closed stream
        return None


def _close_quietly(response: SyncResponse, chunks: Iterator[bytes] | None = None) -> None:
    # Closing is best effort; it must never raise, least of all on the janitor's thread.
    close_chunks = getattr(chunks, "close", None)
    if close_chunks is not None:
        # A generator that is already finished or broken needs nothing more.
        with contextlib.suppress(Exception):
            close_chunks()
    with contextlib.suppress(Exception):
        response.close()


class _Deadline:
    """A socket to shut down at ``when`` unless the read it bounds ended first."""

    __slots__ = ("done", "sock", "when")

    def __init__(self, sock: Any, when: float) -> None:
        self.sock = sock
        self.when = when
        self.done = False

    def __lt__(self, other: _Deadline) -> bool:
        return self.when < other.when


class _Janitor:
    """One daemon thread per process, started with the first sync stream: it closes the
    responses of dropped streams and shuts down sockets whose tail read ran out of time.

    Work reaches it through a ``SimpleQueue``, whose ``put`` is reentrant: safe from a
    finalizer that the garbage collector runs in the middle of any code."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ready(self) -> None:
        """Start the thread (when a stream is made: never from a finalizer)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    thread = threading.Thread(
                        target=self._run, name="openrouter-core-streams", daemon=True
                    )
                    thread.start()
                    self._thread = thread

    def close_later(self, response: SyncResponse, chunks: Iterator[bytes] | None) -> None:
        """Close ``response`` on the janitor's thread."""
        self._queue.put((response, chunks))

    def call_later(self, function: Callable[[], object]) -> None:
        """Run ``function`` (which must not raise) on the janitor's thread: work a finalizer
        hands over, as it must not run inside a garbage collection."""
        self._queue.put(function)

    def arm(self, sock: Any, seconds: float) -> _Deadline:
        """Shut ``sock`` down in ``seconds`` unless :meth:`_Deadline.done` is set first."""
        deadline = _Deadline(sock, time.monotonic() + seconds)
        self._queue.put(deadline)
        return deadline

    def _run(self) -> None:
        pending: list[_Deadline] = []
        while True:
            wait = None if not pending else max(0.0, pending[0].when - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if isinstance(item, _Deadline):
                heapq.heappush(pending, item)
            elif callable(item):
                with contextlib.suppress(Exception):
                    item()
            elif item is not None:
                _close_quietly(*item)
            now = time.monotonic()
            while pending and (pending[0].done or pending[0].when <= now):
                due = heapq.heappop(pending)
                if not due.done:
                    # The read gives up: the connection is closed, never handed back. A shutdown
                    # that lands just after the read ended is harmless: the pool does not reuse a
                    # connection whose socket reads as closed.
                    with contextlib.suppress(OSError):
                        due.sock.shutdown(socket.SHUT_RDWR)


_janitor = _Janitor()


def _close_held(held: list[Any]) -> None:
    """Finalizer of a dropped sync stream: its response and body iterator go to the janitor."""
    _janitor.close_later(held[0], held[1])
