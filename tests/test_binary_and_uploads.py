"""Binary answers and uploads over a real local server: a download is read whole or saved in
chunks with memory flat, a body cut off is a Failure, an upload's bytes arrive intact whatever
the source (bytes, a path, a file object), streamed from disk with memory flat."""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import io
import json
import os
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from returns.result import Failure

from funcs.files_download import files_download, files_download_async
from funcs.files_upload import files_upload, files_upload_async, operation as files_upload_operation
from funcs.stt_create_transcription import (
    operation as stt_operation,
    stt_create_transcription,
    stt_create_transcription_async,
)
from funcs.stt_create_transcription_multipart import stt_create_transcription_multipart
from funcs.tts_create_speech import tts_create_speech
from openrouter_core import InvalidRequestError, OpenRouterCore, RetryConfig, StreamError
from openrouter_core._machinery.attempts import run_sync
from openrouter_core._machinery.operation import FileField
from openrouter_core._machinery.request import prepare
from openrouter_core.stt import input_audio
from tests.loopback import Conn, LoopbackServer, RecordedRequest, json_response, pieces, raw

MIB = 1024 * 1024
FILE = {"id": "or_file_1", "filename": "a.pdf", "size_bytes": 3, "type": "file"}


def _pattern(size: int) -> Iterator[bytes]:
    block = bytes(range(256)) * 256  # 64 KiB
    sent = 0
    while sent < size:
        part = block[: min(len(block), size - sent)]
        sent += len(part)
        yield part


def _big_body(size: int) -> Any:
    """An action that answers ``size`` bytes of octet-stream, written 64 KiB at a time."""

    def act(conn: Conn, req: RecordedRequest) -> bool:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {size}\r\n\r\n"
        )
        conn.sock.settimeout(10)
        if not conn.send(head.encode()):
            return False
        return all(conn.send(part) for part in _pattern(size))

    return act


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=json_response(200, FILE)) as srv:
        yield srv


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled()
    ) as c:
        yield c


def test_a_download_reads_whole_with_its_type(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(raw(200, b"\x00\x01audio", content_type="audio/mpeg"))
    with tts_create_speech(core, {"input": "hi", "model": "m", "voice": "v"}).unwrap() as body:
        assert body.content_type == "audio/mpeg"
        assert body.content_length == 7
        assert body.http is not None
        assert body.http.status_code == 200
        assert body.read().unwrap() == b"\x00\x01audio"
    assert body.closed
    assert server.requests[0].json()["voice"] == "v"


def test_a_download_is_saved_in_chunks_with_memory_flat(
    server: LoopbackServer, core: OpenRouterCore, tmp_path: Path
) -> None:
    size = 48 * MIB
    server.script(_big_body(size))
    target = tmp_path / "content.bin"
    body = files_download(core, file_id="or_file_1").unwrap()
    tracemalloc.start()
    try:
        written = body.save(target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written.unwrap() == size
    assert target.stat().st_size == size
    digest = hashlib.sha256()
    for part in _pattern(size):
        digest.update(part)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest.hexdigest()
    assert peak < 8 * MIB, f"saving {size} bytes peaked at {peak} bytes"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_body_cut_mid_download_is_a_failure(
    server: LoopbackServer, core: OpenRouterCore, tmp_path: Path, mode: str
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 1000\r\n\r\n"
    server.script(pieces([head, b"x" * 400], finish="close"))
    target = tmp_path / "cut.mp4"
    if mode == "sync":
        result = files_download(core, file_id="f").unwrap().save(target)
    else:

        async def main() -> Any:
            body = (await files_download_async(core, file_id="f")).unwrap()
            return await body.save(target)

        result = asyncio.run(main())
    assert isinstance(result, Failure)
    assert isinstance(result.failure(), StreamError)
    assert not target.exists()  # no short file passed off as whole


def test_a_download_error_status_is_an_api_error(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    server.script(json_response(404, {"error": {"code": 404, "message": "no such file"}}))
    error = files_download(core, file_id="nope").failure()
    assert getattr(error, "status_code", None) == 404
    assert "no such file" in str(error)


def _multipart_file(request: RecordedRequest) -> tuple[str, bytes]:
    """The filename and the bytes of the one file in a multipart body."""
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    for part in request.body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if b'filename="' in head:
            name = head.split(b'filename="', 1)[1].split(b'"', 1)[0].decode()
            return name, content[: -len(b"\r\n")]
    raise AssertionError("no file part")


@pytest.mark.parametrize("source", ["bytes", "path", "file"])
def test_an_upload_arrives_intact(
    server: LoopbackServer, core: OpenRouterCore, tmp_path: Path, source: str
) -> None:
    data = bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    value: Any = {"bytes": data, "path": str(path), "file": io.BytesIO(data)}[source]
    uploaded = files_upload(core, {"file": value}).unwrap()
    assert uploaded.id == "or_file_1"
    request = server.requests[0]
    assert request.method == "POST"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    name, content = _multipart_file(request)
    assert content == data
    assert name == {"bytes": "file", "path": "report.pdf", "file": "file"}[source]


def test_an_upload_is_sent_again_whole_on_a_retry(server: LoopbackServer, tmp_path: Path) -> None:
    data = b"%PDF-1.4 " * 1000
    source = io.BytesIO(data)
    source.seek(100)  # a file object is sent from its start, on every attempt
    busy = json_response(503, {"error": {"code": 503, "message": "busy"}})
    server.script(busy)
    fast = RetryConfig(initial_delay=0.0, max_delay=0.0)
    with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=fast) as core:
        assert files_upload(core, {"file": source}).unwrap().http is not None
    assert [_multipart_file(r)[1] for r in server.requests] == [data, data]


def test_a_transcription_sends_its_fields_and_audio(
    server: LoopbackServer, core: OpenRouterCore, tmp_path: Path
) -> None:
    path = tmp_path / "speech.wav"
    path.write_bytes(b"RIFF....WAVE")
    server.script(json_response(200, {"text": "hello"}), json_response(200, {"text": "hello"}))
    answer = stt_create_transcription_multipart(
        core, {"file": path, "model": "w", "language": "en"}
    )
    assert answer.unwrap().text == "hello"
    body = server.requests[0].body
    assert b'name="model"\r\n\r\nw\r\n' in body
    assert b'name="language"\r\n\r\nen\r\n' in body
    assert _multipart_file(server.requests[0]) == ("speech.wav", b"RIFF....WAVE")
    # The JSON variant takes the same sources, base64-encoded (or the encoded object itself).
    server.script(*[json_response(200, {"text": "hello"})] * 3)
    with path.open("rb") as file:
        for source in (path, str(path), file, input_audio(path)):
            sent = stt_create_transcription(core, {"model": "w", "input_audio": source})
            assert sent.unwrap().text == "hello"
    encoded = {"data": "UklGRi4uLi5XQVZF", "format": "wav"}
    assert [r.json()["input_audio"] for r in server.requests[1:]] == [encoded] * 4


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"file": "/no/such/file.pdf"}, "file"),
        ({"file": 42}, "file"),
        ({"file": io.StringIO("text")}, "file"),
        ({"flie": b"x"}, "flie"),
        ({}, "file"),
    ],
)
def test_a_bad_upload_is_a_failure_before_sending(
    server: LoopbackServer, core: OpenRouterCore, params: dict[str, Any], path: str
) -> None:
    error = files_upload(core, params).failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == path
    assert server.requests == []


def _no_file_access(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the file system was touched: {args!r}")

    for name in ("isfile", "exists"):
        monkeypatch.setattr(os.path, name, refuse)
    monkeypatch.setattr(os, "access", refuse)
    monkeypatch.setattr(builtins, "open", refuse)


def test_building_a_request_touches_no_file(
    core: OpenRouterCore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_file_access(monkeypatch)
    upload = prepare(files_upload_operation(), core, {"file": "/no/such/file.pdf"}).unwrap()
    assert [(p.field, p.source) for p in upload.files] == [("file", "/no/such/file.pdf")]
    stt = prepare(stt_operation(), core, {"model": "w", "input_audio": "/no/such/a.mp3"})
    # The body waits for the file: its field holds a stand-in of the encoded value's shape.
    assert stt.unwrap().content is None
    assert stt.unwrap().json_body == {"model": "w", "input_audio": {"data": "", "format": "mp3"}}


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_missing_file_is_refused_by_the_driver_before_sending(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    upload = {"file": "/no/such/file.pdf"}
    stt = {"model": "w", "input_audio": "/no/such/a.mp3"}
    errors: list[Any]
    if mode == "sync":
        errors = [
            files_upload(core, upload).failure(),
            stt_create_transcription(core, stt).failure(),
        ]
    else:

        async def both() -> list[Any]:
            return [
                (await files_upload_async(core, upload)).failure(),
                (await stt_create_transcription_async(core, stt)).failure(),
            ]

        errors = asyncio.run(both())
    assert [(type(e), e.path, e.problem) for e in errors] == [
        (InvalidRequestError, "file", "no such file: '/no/such/file.pdf'"),
        (InvalidRequestError, "input_audio", "no such file: '/no/such/a.mp3'"),
    ]
    assert server.requests == []


def test_a_file_fields_file_is_read_once_however_many_attempts(server: LoopbackServer) -> None:
    reads: list[int] = []

    class Counted(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(1)
            return super().read(size)

    server.script(json_response(503, {"error": {"code": 503, "message": "busy"}}))
    fast = RetryConfig(initial_delay=0.0, max_delay=0.0)
    with OpenRouterCore(api_key="k", server_url=server.base_url, retry_config=fast) as core:
        audio = Counted(b"RIFF")
        assert stt_create_transcription(core, {"model": "w", "input_audio": audio}).unwrap()
    assert len(reads) == 1
    sent = [r.json()["input_audio"] for r in server.requests]
    assert sent == [{"data": "UklGRg==", "format": "wav"}] * 2


def test_a_file_object_that_fails_is_refused_naming_its_field(
    server: LoopbackServer, core: OpenRouterCore
) -> None:
    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError("disk on fire")

    error = stt_create_transcription(core, {"model": "w", "input_audio": Broken()}).failure()
    assert isinstance(error, InvalidRequestError)
    assert (error.path, error.problem) == (
        "input_audio",
        "the file cannot be read: OSError: disk on fire",
    )
    assert server.requests == []


def test_a_file_field_is_encoded_by_the_encoder_its_operation_declares(
    server: LoopbackServer, core: OpenRouterCore, tmp_path: Path
) -> None:
    def clip(content: bytes, filename: str) -> dict[str, str]:
        return {"data": content.decode()[::-1], "format": filename}

    declared = attrs.evolve(stt_operation(), file_fields=(FileField("input_audio", clip),))
    path = tmp_path / "take.ogg"
    path.write_bytes(b"abc")
    server.script(json_response(200, {"text": "hello"}))
    prepared = prepare(declared, core, {"model": "w", "input_audio": path}).unwrap()
    assert run_sync(core, prepared).unwrap()
    assert server.requests[0].json()["input_audio"] == {"data": "cba", "format": "take.ogg"}


class _DiscardingServer:
    """A server on 127.0.0.1 that reads one request's body in chunks, hashing and discarding it
    (so the test process holds no copy), then answers a file object."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(10)
        self.digest = hashlib.sha256()
        self.received = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api/v1"

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            conn.settimeout(10)
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                buffer += conn.recv(65536)
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            self.digest.update(rest)
            self.received = len(rest)
            while self.received < length:
                data = conn.recv(min(65536, length - self.received))
                if not data:
                    break
                self.digest.update(data)
                self.received += len(data)
            body = json.dumps(FILE).encode()
            answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            conn.sendall(answer + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    def close(self) -> None:
        self.thread.join(10)
        self.sock.close()


def test_a_large_upload_streams_from_disk_with_memory_flat(tmp_path: Path) -> None:
    size = 64 * MIB
    path = tmp_path / "big.bin"
    with path.open("wb") as file:
        for part in _pattern(size):
            file.write(part)
    server = _DiscardingServer()
    try:
        with OpenRouterCore(api_key="k", server_url=server.base_url) as core:
            tracemalloc.start()
            try:
                result = files_upload(core, {"file": path})
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        server.close()
    assert result.unwrap().id == "or_file_1"
    assert server.received > size  # the file and the multipart framing around it
    assert peak < 8 * MIB, f"uploading {size} bytes peaked at {peak} bytes"


def test_an_async_upload_and_download(server: LoopbackServer, core: OpenRouterCore) -> None:
    async def main() -> tuple[str | None, bytes]:
        uploaded = (await files_upload_async(core, {"file": b"abc"})).unwrap()
        server.script(raw(200, b"abc", content_type="application/pdf"))
        body = (await files_download_async(core, file_id="or_file_1")).unwrap()
        return uploaded.id, (await body.read()).unwrap()

    assert asyncio.run(main()) == ("or_file_1", b"abc")
