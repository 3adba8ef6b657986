"""A scriptable HTTP/1.1 server on 127.0.0.1 for wire tests.

Each accepted connection runs in its own thread. For every request the server pops the next
action from its script (or uses the default action) and records the request. Actions can answer
normally or misbehave on purpose: garbage bytes, resets, stalls, SSE split at odd points, cuts.
Everything is bounded: stalls wait on the server's stop event with a timeout, and ``close()``
stops the accept loop and every connection.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"
MAX_WAIT = 10.0


@dataclass
class RecordedRequest:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection_id: int

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class Conn:
    """One accepted connection, handed to actions."""

    def __init__(self, server: LoopbackServer, sock: socket.socket, cid: int) -> None:
        self.server = server
        self.sock = sock
        self.cid = cid
        self.buffer = b""

    def send(self, data: bytes) -> bool:
        """Send bytes; False when the client has gone away."""
        try:
            self.sock.sendall(data)
        except OSError:
            self.server.note_disconnect(self.cid)
            return False
        return True

    def wait_for_client_close(self, limit: float = MAX_WAIT) -> bool:
        """Block until the client closes the connection (True) or ``limit`` passes (False)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            self.sock.settimeout(0.05)
            try:
                data = self.sock.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError:
                self.server.note_disconnect(self.cid)
                return True
            if not data:
                self.server.note_disconnect(self.cid)
                return True
            self.buffer += data
        return False

    def reset(self) -> None:
        """Close with RST instead of FIN."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


#: An action answers one request; it returns True to keep the connection open for more.
Action = Callable[[Conn, RecordedRequest], bool]


def _head(status: int, headers: Sequence[tuple[str, str]], reason: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason or 'Status'}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def raw(
    status: int,
    body: bytes,
    headers: Sequence[tuple[str, str]] = (),
    content_type: str | None = "application/json",
) -> Action:
    """Answer with ``body`` and a Content-Length."""

    def act(conn: Conn, req: RecordedRequest) -> bool:
        hs = list(headers)
        if content_type is not None:
            hs.append(("Content-Type", content_type))
        hs.append(("Content-Length", str(len(body))))
        return conn.send(_head(status, hs) + body)

    return act


def json_response(status: int, obj: Any, headers: Sequence[tuple[str, str]] = ()) -> Action:
    """Answer with ``obj`` as JSON."""
    return raw(status, json.dumps(obj).encode(), headers)


def bytes_then_close(data: bytes) -> Action:
    """Write arbitrary bytes (a garbage status line, a partial body) and close."""

    def act(conn: Conn, req: RecordedRequest) -> bool:
        conn.send(data)
        return False

    return act


def reset() -> Action:
    """Reset the connection without answering."""

    def act(conn: Conn, req: RecordedRequest) -> bool:
        conn.reset()
        return False

    return act


def stall(limit: float = MAX_WAIT, prefix: bytes = b"") -> Action:
    """Send ``prefix`` (maybe nothing), then say nothing until the client leaves or ``limit``."""

    def act(conn: Conn, req: RecordedRequest) -> bool:
        if prefix:
            conn.send(prefix)
        conn.wait_for_client_close(limit)
        return False

    return act


def sse(
    pieces: Iterable[bytes],
    *,
    status: int = 200,
    delay: float = 0.0,
    finish: str = "end",
    headers: Sequence[tuple[str, str]] = (),
) -> Action:
    """Stream ``pieces`` as chunked ``text/event-stream``, each piece its own write.

    ``finish``: ``end`` sends the terminating chunk (connection reusable), ``cut`` closes without
    it, ``reset`` sends RST, ``hold`` keeps the stream open until the client goes away.
    """

    def act(conn: Conn, req: RecordedRequest) -> bool:
        hs = [("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked"), *headers]
        if not conn.send(_head(status, hs)):
            return False
        for piece in pieces:
            if delay and conn.server.stopping.wait(delay):
                return False
            if piece and not conn.send(b"%x\r\n%s\r\n" % (len(piece), piece)):
                return False
        if finish == "end":
            return conn.send(b"0\r\n\r\n")
        if finish == "reset":
            conn.reset()
            return False
        if finish == "hold":
            conn.wait_for_client_close()
        return False

    return act


def pieces(
    parts: Iterable[bytes], *, finish: str = "close", hold: float = MAX_WAIT, delay: float = 0.0
) -> Action:
    """Write ``parts`` exactly as given (a whole raw response, cut anywhere), one write each,
    ``delay`` seconds apart.

    ``finish``: ``close`` (FIN), ``reset`` (RST), ``hold`` (say nothing more until the client
    leaves or ``hold`` seconds pass) or ``keep`` (read the next request on this connection).
    """
    parts = list(parts)

    def act(conn: Conn, req: RecordedRequest) -> bool:
        for index, part in enumerate(parts):
            if index and delay and conn.server.stopping.wait(delay):
                return False
            if part and not conn.send(part):
                return False
        if finish == "keep":
            return True
        if finish == "reset":
            conn.reset()
        elif finish == "hold":
            conn.wait_for_client_close(hold)
        return False

    return act


def patient(action: Action, limit: float = MAX_WAIT) -> Action:
    """``action`` with ``limit`` seconds for its writes (the default allows 50 ms per write,
    too little for a body of many megabytes to a busy client)."""

    def act(conn: Conn, req: RecordedRequest) -> bool:
        conn.sock.settimeout(limit)
        return action(conn, req)

    return act


def redirect(location: str, status: int = 307) -> Action:
    """Redirect to ``location``."""
    return raw(status, b"", [("Location", location)], content_type=None)


@dataclass
class LoopbackServer:
    """The server; use as a context manager or call ``close()``."""

    default: Action = field(default_factory=lambda: json_response(200, {}))
    ssl_context: ssl.SSLContext | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    connections: int = 0
    disconnects: list[tuple[int, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self._script: deque[Action] = deque()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self._sock.listen(128)
        self._sock.settimeout(0.05)
        self.port: int = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        """Origin URL of the server."""
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL (``server_url`` for a core)."""
        return f"{self.url}/api/v1"

    def script(self, *actions: Action) -> None:
        """Queue actions for the next requests, in order."""
        self._script.extend(actions)

    def drop_script(self) -> None:
        """Forget the queued actions no request took (a test that failed half-way must not hand
        them to the next one)."""
        self._script.clear()

    def note_disconnect(self, cid: int) -> None:
        """Record that the client of connection ``cid`` went away."""
        with self.changed:
            self.disconnects.append((cid, time.monotonic()))
            self.changed.notify_all()

    def wait_disconnect(self, count: int = 1, limit: float = 5.0) -> bool:
        """Wait until ``count`` disconnects were seen."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.disconnects) >= count, limit)

    @property
    def open_connections(self) -> int:
        """Connections whose client has not gone away (their serving thread still runs)."""
        return sum(1 for thread in self._threads if thread.is_alive())

    def wait_open_connections(self, at_most: int, limit: float = 5.0) -> bool:
        """Wait until at most ``at_most`` connections are open (True) or ``limit`` passes."""
        deadline = time.monotonic() + limit
        while self.open_connections > at_most:
            if time.monotonic() > deadline:
                return False
            self.stopping.wait(0.02)
        return True

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, close every connection, join the threads."""
        self.stopping.set()
        self._accept.join(MAX_WAIT)
        for sock in list(self._conns):
            with contextlib.suppress(OSError):
                sock.close()
        for thread in list(self._threads):
            thread.join(MAX_WAIT)
        self._sock.close()

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            if self.ssl_context is not None:
                try:
                    sock.settimeout(MAX_WAIT)
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    sock.close()
                    continue
            self._conns.append(sock)
            thread = threading.Thread(
                target=self._serve, args=(sock, self.connections), daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _read_request(self, conn: Conn) -> RecordedRequest | None:
        conn.sock.settimeout(0.05)
        deadline = time.monotonic() + MAX_WAIT
        while b"\r\n\r\n" not in conn.buffer:
            if self.stopping.is_set() or time.monotonic() > deadline:
                return None
            try:
                data = conn.sock.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError:
                return None
            if not data:
                return None
            conn.buffer += data
        head, _, rest = conn.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            if self.stopping.is_set() or time.monotonic() > deadline:
                return None
            try:
                data = conn.sock.recv(65536)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError:
                return None
            if not data:
                return None
            rest += data
        conn.buffer = rest[length:]
        return RecordedRequest(method, path, headers, rest[:length], conn.cid)

    def _serve(self, sock: socket.socket, cid: int) -> None:
        conn = Conn(self, sock, cid)
        try:
            while not self.stopping.is_set():
                req = self._read_request(conn)
                if req is None:
                    break
                with self.changed:
                    self.requests.append(req)
                    self.changed.notify_all()
                action = self._script.popleft() if self._script else self.default
                if not action(conn, req):
                    break
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()
