"""The command line (``python -m openrouter_core``) against a local server on 127.0.0.1.

The scenarios a shell user meets run the real program as a subprocess; the rest call
``openrouter_core.cli.main(argv)`` in this process (the same code, without a new interpreter
each time), with the environment, stdin and stdout swapped in.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from openrouter_core.cli import main
from openrouter_core.cli._main import UsageError
from openrouter_core.cli._operations import (
    _option_spec,
    build_parser,
    operation_names,
    python_only,
)
from openrouter_core.cli._output import describe, exit_code
from openrouter_core.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InvalidRequestError,
    JobFailedError,
    OpenRouterCoreError,
    OpenRouterDefaultError,
    ResponseValidationError,
    StreamAPIError,
    StreamDecodeError,
    StreamTruncatedError,
)
from openrouter_core.testing import completion_body, error_body, sse_bytes, stream_chunks
from tests.loopback import Conn, LoopbackServer, RecordedRequest, json_response, raw, sse

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-or-v1-cli-test-0123456789"
MODELS = [
    {"id": f"vendor/model-{n}", "name": f"Model {n}", "context_length": 1000 * n}
    for n in range(1, 6)
]


@pytest.fixture(scope="module")
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def env(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a run (also set in this process, for ``main``)."""
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def cli(
    env: dict[str, str], *args: str, stdin: bytes | None = None, verbose: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """The command line as a subprocess, as a shell runs it (``verbose``: ``python -v``, each
    import named on stderr)."""
    flags = ["-v"] if verbose else []
    return subprocess.run(
        [sys.executable, *flags, "-m", "openrouter_core", *args],
        env=env,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=30,
        check=False,
    )


def last(server: LoopbackServer) -> RecordedRequest:
    return server.requests[-1]


def split(path: str) -> tuple[str, dict[str, list[str]]]:
    """A request's path and its query, in any order."""
    url = urlsplit(path)
    return url.path, parse_qs(url.query)


# --------------------------------------------------------------------------- subprocess runs


def test_a_list_with_query_options_prints_the_received_json(
    server: LoopbackServer, env: dict[str, str]
) -> None:
    answer = {"data": MODELS[:2], "unknown_field": {"kept": None}}
    server.script(json_response(200, answer))
    proc = cli(
        env, "models-list", "--category", "programming", "--limit", "2", "--pretty", verbose=True
    )
    assert proc.returncode == 0, proc.stderr
    # Of funcs/, only the operation that runs is imported (the rest are only listed), with the
    # operations' shared module aliases.
    imported = set(re.findall(r"^import '(funcs(?:\.\w+)?)'", proc.stderr.decode(), re.MULTILINE))
    assert imported == {"funcs", "funcs._aliases", "funcs.models_list"}
    assert json.loads(proc.stdout) == answer  # as received, unknown fields and nulls included
    assert proc.stdout.startswith(b'{\n  "data": [')  # --pretty indents
    request = last(server)
    assert split(request.path) == ("/api/v1/models", {"limit": ["2"], "category": ["programming"]})
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_all_walks_every_page_as_json_lines(server: LoopbackServer, env: dict[str, str]) -> None:
    first = len(server.requests)
    server.script(
        json_response(200, {"data": MODELS[0:2]}),
        json_response(200, {"data": MODELS[2:4]}),
        json_response(200, {"data": MODELS[4:5]}),
    )
    proc = cli(env, "models_list", "--all", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line) for line in proc.stdout.splitlines()] == MODELS
    pages = [split(request.path) for request in server.requests[first:]]
    assert pages == [
        ("/api/v1/models", {"limit": ["2"], "offset": [str(offset)]}) for offset in (0, 2, 4)
    ]


def test_a_body_from_a_file(server: LoopbackServer, env: dict[str, str], tmp_path: Path) -> None:
    body = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
    (tmp_path / "body.json").write_text(json.dumps({**body, "stream": False}))
    server.script(json_response(200, completion_body("Hello there")))
    proc = cli(env, "chat_send", "--params", f"@{tmp_path / 'body.json'}")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == completion_body("Hello there")
    assert last(server).json() == {**body, "stream": False}


def test_a_body_from_standard_input(server: LoopbackServer, env: dict[str, str]) -> None:
    answer = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}]}
    server.script(json_response(200, answer))
    body = {"model": "openai/text-embedding-3-small", "input": "hello"}
    proc = cli(env, "embeddings_generate", stdin=json.dumps(body).encode())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == answer
    assert last(server).method == "POST"
    assert last(server).path == "/api/v1/embeddings"
    assert last(server).json() == body


def test_a_binary_download_goes_to_the_output_file(
    server: LoopbackServer, env: dict[str, str], tmp_path: Path
) -> None:
    content = bytes(range(256)) * 1024  # 256 KiB: several chunks
    server.script(raw(200, content, content_type="application/octet-stream"))
    target = tmp_path / "out.bin"
    proc = cli(env, "files-download", "--file-id", "file-1", "--output", str(target))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b""
    assert target.read_bytes() == content
    assert last(server).path == "/api/v1/files/file-1/content"


def _held_stream(first: bytes, rest: bytes, release: threading.Event) -> Any:
    """An SSE answer whose first part is sent at once and the rest only after ``release``."""

    def chunk(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data)

    def act(conn: Conn, req: RecordedRequest) -> bool:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        conn.send(head + b"Transfer-Encoding: chunked\r\n\r\n" + chunk(first))
        release.wait(10)
        conn.send(chunk(rest) + b"0\r\n\r\n")
        return False

    return act


def test_chat_prints_the_reply_as_it_streams_in(
    server: LoopbackServer, env: dict[str, str]
) -> None:
    events = stream_chunks(["Hel", "lo, ", "world"])
    release = threading.Event()
    server.script(_held_stream(sse_bytes(events[:2], done=False), sse_bytes(events[2:]), release))
    proc = subprocess.Popen(
        [sys.executable, "-m", "openrouter_core", "chat", "Say hello", "-m", "x/y"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(20, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        early = proc.stdout.read(3)  # printed while the server still holds the rest back
        release.set()
        out, err = proc.communicate(timeout=20)
    finally:
        release.set()
        watchdog.cancel()
    assert early == b"Hel"
    assert early + out == b"Hello, world\n", err
    assert proc.returncode == 0
    request = last(server).json()
    assert request["stream"] is True
    assert request["model"] == "x/y"
    assert request["messages"] == [{"role": "user", "content": "Say hello"}]


def test_chat_without_streaming(server: LoopbackServer, env: dict[str, str]) -> None:
    server.script(json_response(200, completion_body("A whole reply.")))
    proc = cli(env, "chat", "Hi", "--model", "x/y", "--system", "Be terse.", "--no-stream")
    assert (proc.returncode, proc.stdout) == (0, b"A whole reply.\n"), proc.stderr
    request = last(server).json()
    assert request.get("stream") in (None, False)
    assert request["messages"] == [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Hi"},
    ]


@pytest.mark.parametrize(("status", "code"), [(401, 3), (404, 4)], ids=["auth", "not-found"])
def test_exit_codes_of_error_answers(
    server: LoopbackServer, env: dict[str, str], status: int, code: int
) -> None:
    server.script(json_response(status, error_body(f"failed with {status}", code=status)))
    proc = cli(env, "api_keys_get_current_key_metadata", "--retries", "0")
    assert proc.returncode == code
    assert proc.stdout == b""
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 1, lines  # one clear line
    assert f"failed with {status}" in lines[0]
    assert "hint:" in lines[0]
    assert KEY not in lines[0]


def test_exit_codes_of_bad_arguments_and_of_an_unreadable_answer(
    server: LoopbackServer, env: dict[str, str]
) -> None:
    proc = cli(env, "files_download")  # --file-id is required
    assert proc.returncode == 2
    assert b"--file-id" in proc.stderr
    server.script(raw(200, b"<html>not json</html>", content_type="text/html"))
    proc = cli(env, "credits_get_credits")
    assert proc.returncode == 1
    assert proc.stderr.startswith(b"openrouter-core: ResponseValidationError")


def test_exit_code_of_no_connection(env: dict[str, str]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = cli(
        {**env, "OPENROUTER_BASE_URL": f"http://127.0.0.1:{port}/api/v1"}, "credits", "--retries=0"
    )
    assert proc.returncode == 5
    assert b"APIConnectionError" in proc.stderr
    assert b"OPENROUTER_BASE_URL" in proc.stderr  # the hint


def test_help_shows_the_docstring_parameters_and_exit_codes(env: dict[str, str]) -> None:
    proc = cli(env, "models-list", "--help")
    assert proc.returncode == 0
    text = proc.stdout.decode()
    assert "List all models and their properties." in text
    assert "--category CATEGORY" in text
    assert "Filter models by use case category" in text
    assert "--all" in text
    assert "exit codes:" in text
    assert "3  authentication" in text


# --------------------------------------------------------------------------- in-process runs


def run(
    argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None
) -> tuple[int, str, str]:
    """``main(argv)`` in this process, stdin given as text; (exit code, stdout, stderr)."""
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(argv)
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_top_level_help_lists_the_shortcuts_and_every_operation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for name in ("chat PROMPT", "key", "credits", "generation ID", "models [--search TEXT]"):
        assert f"\n  {name}" in out
    operations = sorted(p.stem for p in (ROOT / "funcs").glob("*.py") if not p.stem.startswith("_"))
    assert len(operations) >= 90
    for name in operations:
        assert (f"\n  {name} " in out) != python_only(name), name
    assert "GET /models: List all models and their properties." in out
    assert "exit codes:" in out
    code, _, err = run([], capsys)
    assert code == 2
    assert "usage:" in err


def test_unknown_command_suggests_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["models_lst"], capsys)
    assert code == 2
    assert "unknown command 'models_lst' (did you mean models_list" in err


def test_options_in_either_spelling_flags_and_global_options_before_the_command(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server.script(json_response(200, {"data": []}), json_response(200, {"data": []}))
    code, out, _ = run(
        ["--pretty", "api-keys-list", "--include-disabled", "--offset=3", "--workspace_id", "w"],
        capsys,
    )
    assert code == 0
    assert out == '{\n  "data": []\n}\n'
    assert split(last(server).path) == (
        "/api/v1/keys",
        {"include_disabled": ["true"], "offset": ["3"], "workspace_id": ["w"]},
    )
    assert run(["api_keys_list", "--no-include-disabled"], capsys)[0] == 0
    assert split(last(server).path) == ("/api/v1/keys", {"include_disabled": ["false"]})


def test_typed_options_are_checked_by_the_parser(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["models_list", "--limit", "many"], capsys)
    assert code == 2
    assert "invalid int value: 'many'" in err
    code, _, err = run(
        [
            "o_auth_create_authorization_url",
            "--callback-url",
            "https://app.example/cb",
            "--code-challenge-method",
            "S512",
        ],
        capsys,
    )
    assert code == 2
    assert "invalid choice: 'S512'" in err


def test_a_pure_operation_with_a_positional_argument(capsys: pytest.CaptureFixture[str]) -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636, appendix B
    code, out, _ = run(["o_auth_create_sha256_code_challenge", verifier], capsys)
    assert code == 0
    assert json.loads(out)["code_challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_all_starts_at_a_given_offset_and_lists_without_pages_have_no_all(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    first = len(server.requests)
    server.script(
        json_response(200, {"data": MODELS[2:4]}), json_response(200, {"data": MODELS[4:5]})
    )
    code, out, _ = run(["models_list", "--all", "--limit", "2", "--offset", "2"], capsys)
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == MODELS[2:5]
    pages = [split(request.path) for request in server.requests[first:]]
    assert pages == [("/api/v1/models", {"limit": ["2"], "offset": [o]}) for o in ("2", "4")]
    code, _, err = run(["credits_get_credits", "--all"], capsys)
    assert (code, "unrecognized arguments: --all" in err) == (2, True)


def test_body_problems_are_bad_arguments(
    server: LoopbackServer,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    before = len(server.requests)
    code, _, err = run(["embeddings_generate", "--params", "{not json"], capsys)
    assert (code, "--params: the text given is not JSON" in err) == (2, True)
    code, _, err = run(["embeddings_generate", "--params", f"@{tmp_path / 'none.json'}"], capsys)
    assert (code, "cannot read" in err) == (2, True)
    code, _, err = run(["embeddings_generate"], capsys, stdin="")
    assert (code, "embeddings_generate needs a JSON body" in err) == (2, True)
    code, _, err = run(["embeddings_generate", "--params", '{"input": "x"}'], capsys)
    assert code == 2  # the library's own check: no model
    assert err.startswith("openrouter-core: InvalidRequestError")
    assert "hint: see openrouter-core embeddings_generate --help" in err
    assert len(server.requests) == before  # nothing was sent
    server.script(json_response(200, {"data": []}))
    code, _, _ = run(
        ["embeddings_generate", "--params", "-"], capsys, stdin='{"model": "m", "input": "x"}'
    )
    assert code == 0
    assert last(server).json() == {"model": "m", "input": "x"}


def test_binary_to_stdout_when_piped_and_refused_on_a_terminal(
    server: LoopbackServer,
    env: dict[str, str],
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server.script(raw(200, b"\x00audio\xff", content_type="audio/mpeg"))
    code = main(["tts_create_speech", "--params", '{"model": "m", "input": "Hi", "voice": "a"}'])
    out, _ = capsysbinary.readouterr()
    assert (code, out) == (0, b"\x00audio\xff")
    before = len(server.requests)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    code = main(["files_download", "--file-id", "f"])
    _, err = capsysbinary.readouterr()
    assert code == 2
    assert b"files_download answers bytes: give --output FILE" in err
    assert terminal.getvalue() == ""
    assert len(server.requests) == before  # refused before asking


def test_a_streamed_operation_prints_its_events_as_json_lines(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    events = stream_chunks(["a", "b"])
    server.script(sse([sse_bytes(events)]))
    body = '{"model": "m", "messages": [{"role": "user", "content": "x"}]}'
    code, out, _ = run(["chat_send", "--stream", "--params", body], capsys)
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == events


def test_a_stream_that_fails_midway_ends_the_text_and_reports_it(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    events = stream_chunks(["partial"])[:2]
    server.script(sse([sse_bytes(events, done=False)], finish="cut"))
    code, out, err = run(["chat", "hi", "-m", "x/y"], capsys)
    assert out == "partial\n"
    assert code == 5  # the connection broke: server or connection
    assert err.count("\n") == 1


def test_shortcut_key_credits_generation_and_models(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    key = {
        "data": {
            "label": "sk-or-v1-abc...xyz",
            "limit": 10,
            "limit_remaining": 7.5,
            "limit_reset": "monthly",
            "usage": 2.5,
            "usage_daily": 0.25,
            "usage_weekly": 1,
            "usage_monthly": 2.5,
            "is_free_tier": False,
            "rate_limit": {"requests": 20, "interval": "10s"},
        }
    }
    server.script(json_response(200, key))
    code, out, _ = run(["key"], capsys)
    assert code == 0
    assert "limit:            10 (resets monthly)\n" in out
    assert "limit remaining:  7.5\n" in out
    assert "free tier:        no\n" in out
    assert "rate limit:       20 requests per 10s\n" in out
    assert last(server).path == "/api/v1/key"

    server.script(json_response(200, {"data": {"total_credits": 10, "total_usage": 2.7}}))
    code, out, _ = run(["credits"], capsys)
    assert (code, out) == (0, "total credits: 10\ntotal usage:   2.7\nremaining:     7.3\n")

    generation = {
        "data": {
            "id": "gen-1",
            "model": "openai/gpt-4o-mini",
            "provider_name": "OpenAI",
            "total_cost": 0.0000123,
            "tokens_prompt": 12,
            "tokens_completion": 7,
            "latency": 512,
        }
    }
    server.script(json_response(404, error_body("not yet", code=404)))
    server.script(json_response(200, generation))
    code, out, _ = run(["generation", "gen-1"], capsys)  # the early 404 is retried
    assert code == 0
    assert "model:   openai/gpt-4o-mini (provider OpenAI)\n" in out
    assert "cost:    1.23e-05\n" in out
    assert "tokens:  12 prompt, 7 completion\n" in out
    assert last(server).path == "/api/v1/generation?id=gen-1"

    catalog = [
        {
            "id": "openai/gpt-4o-mini",
            "name": "GPT-4o mini",
            "context_length": 128000,
            "pricing": {"prompt": "0.00000015", "completion": "0.0000006"},
        },
        {"id": "anthropic/claude-sonnet-4", "name": "Claude Sonnet 4"},
    ]
    server.script(json_response(200, {"data": catalog}))
    code, out, _ = run(["models", "--search", "GPT"], capsys)
    assert (code, out) == (0, "openai/gpt-4o-mini\t128000\t0.15\t0.6\tGPT-4o mini\n")
    server.script(json_response(200, {"data": catalog}))
    code, out, _ = run(["models", "--search", "claude", "--json"], capsys)
    assert [json.loads(line) for line in out.splitlines()] == catalog[1:]


def test_key_json_and_output_to_a_file(
    server: LoopbackServer,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    answer = {"data": {"label": "k", "limit": None, "usage": 0}}
    server.script(json_response(200, answer))
    target = tmp_path / "key.json"
    code, out, _ = run(["key", "--json", "--output", str(target)], capsys)
    assert (code, out) == (0, "")
    assert json.loads(target.read_text()) == answer


def test_api_key_file_is_used_and_never_printed(
    server: LoopbackServer,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    secret = "sk-or-v1-from-a-file-9876543210"
    (tmp_path / "key").write_text(secret + "\n")
    # A server that echoes the key back in its error message.
    server.script(json_response(401, error_body(f"key {secret} is revoked", code=401)))
    code, out, err = run(["--api-key-file", str(tmp_path / "key"), "credits"], capsys)
    assert code == 3
    assert last(server).headers["authorization"] == f"Bearer {secret}"
    assert secret not in out + err
    assert "key *** is revoked" in err
    code, _, err = run(["credits", "--api-key-file", str(tmp_path / "missing")], capsys)
    assert (code, "--api-key-file: cannot read" in err) == (2, True)


def test_no_key_gets_a_hint_to_set_one(
    server: LoopbackServer,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENROUTER_API_KEY")
    before = len(server.requests)
    code, _, err = run(["key"], capsys)
    assert code == 2  # refused before sending anything
    assert "hint: set OPENROUTER_API_KEY or pass --api-key-file FILE" in err
    assert len(server.requests) == before


def test_progress_line_on_a_terminal_for_retries_and_polls(
    server: LoopbackServer,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    server.script(json_response(503, error_body("busy", code=503), [("retry-after-ms", "1")]))
    server.script(json_response(200, {"data": {"total_credits": 1, "total_usage": 0}}))
    assert main(["credits"]) == 0
    assert capsys.readouterr().out.startswith("total credits: 1\n")
    assert "APIError: retrying in 0.0 s" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")  # erased once done
    job = {"id": "job-1", "polling_url": "https://x.example/videos/job-1"}
    server.script(
        json_response(200, {**job, "status": "pending"}),
        json_response(200, {**job, "status": "completed", "unsigned_urls": ["https://v"]}),
    )
    code = main(["video_generation_wait", "--job-id", "job-1", "--interval", "0.01"])
    out, _ = capsys.readouterr()
    assert code == 0, terminal.getvalue()
    assert json.loads(out)["status"] == "completed"
    assert "waiting: poll 1," in terminal.getvalue()
    assert "waiting: poll 2," in terminal.getvalue()


def test_a_server_error_exits_5_after_the_retries(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    busy = json_response(503, error_body("busy", code=503), [("retry-after-ms", "1")])
    server.script(busy, busy)
    before = len(server.requests)
    code, out, err = run(["credits", "--retries", "1"], capsys)
    assert (code, out) == (5, "")
    assert len(server.requests) - before == 2  # the first try and one retry
    assert "busy" in err
    assert "hint: the server failed" in err


def test_no_progress_line_when_stderr_is_not_a_terminal(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server.script(json_response(503, error_body("busy", code=503), [("retry-after-ms", "1")]))
    server.script(json_response(200, {"data": {"total_credits": 1, "total_usage": 0}}))
    code, _, err = run(["credits"], capsys)
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidRequestError(message="bad"), 2),
        (APIError(message="x", status_code=401), 3),
        (APIError(message="x", status_code=403), 3),
        (APIError(message="x", status_code=404), 4),
        (APIError(message="x", status_code=429), 4),
        (OpenRouterDefaultError(message="x", status_code=502), 5),
        (APIConnectionError(message="x"), 5),
        (APITimeoutError(message="x"), 5),
        (StreamAPIError(message="x", code=502), 5),
        (StreamTruncatedError(message="x"), 5),
        (StreamDecodeError(message="x"), 1),
        (ResponseValidationError(message="x", status_code=200), 1),
        (JobFailedError(message="x"), 1),
        (APIError(message="x", status_code=200), 1),
    ],
)
def test_exit_code_of_each_kind_of_error(error: OpenRouterCoreError, code: int) -> None:
    assert exit_code(error) == code


def test_describe_is_one_line_with_the_status_and_a_hint() -> None:
    error = APIError(message="Rate limited\nslow down", status_code=429, retry_after=3)
    line = describe(error, key_given=True, command="credits")
    assert line == "APIError 429: Rate limited slow down (hint: rate limited; try again in 3 s)"


def test_list_and_literal_annotations_become_repeated_options_and_choices() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    for flag, annotation in (
        ("--tag", "list[str] | None"),
        ("--count", "int | None"),
        ("--mode", "Literal['a', 'b'] | None"),
        ("--flag", "bool | None"),
    ):
        spec = _option_spec(annotation)
        assert spec is not None
        parser.add_argument(flag, **spec)
    args = parser.parse_args(["--tag", "x", "--tag", "y", "--count", "3", "--mode", "b", "--flag"])
    assert (args.tag, args.count, args.mode, args.flag) == (["x", "y"], 3, "b", True)
    # What only Python can give (a callable, a mapping, anything) is no option.
    for annotation in ("Iterable[Callable[..., Any]]", "Mapping[str, Any] | None", "Any"):
        assert _option_spec(annotation) is None


def test_the_console_script_and_the_module_run_main() -> None:
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"openrouter-core": "openrouter_core.cli:main"}
    main_module = (ROOT / "openrouter_core" / "__main__.py").read_text()
    assert "from openrouter_core.cli import main" in main_module


def test_nothing_outside_the_command_line_imports_it_or_argparse() -> None:
    sources = [*(ROOT / "openrouter_core").rglob("*.py"), *(ROOT / "funcs").glob("*.py")]
    cli = ROOT / "openrouter_core" / "cli"
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources
        if cli not in path.parents
        and path.name != "__main__.py"
        and re.search(
            r"^\s*(import argparse|from openrouter_core\.cli|import openrouter_core\.cli)",
            path.read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    ]
    assert offenders == []


def test_every_operation_gets_its_options_and_help_from_its_signature() -> None:
    import importlib
    import inspect

    names = operation_names()
    assert names == tuple(
        sorted(p.stem for p in (ROOT / "funcs").glob("*.py") if not p.stem.startswith("_"))
    )
    for name in names:
        func = getattr(importlib.import_module(f"funcs.{name}"), name)
        if python_only(name):  # a helper that takes a class or callables: no command
            with pytest.raises(UsageError, match=f"{name} is for Python only"):
                build_parser(name)
            continue
        text = build_parser(name).format_help()
        summary = (inspect.getdoc(func) or "").split("\n")[0].replace("``", "")
        assert summary in text, name
        for parameter in inspect.signature(func).parameters.values():
            flag = "--" + parameter.name.replace("_", "-") + " "
            if parameter.kind is parameter.KEYWORD_ONLY:
                given = _option_spec(parameter.annotation) is not None
                assert (flag in text) == given, (name, parameter.name)
                assert given or parameter.default is not parameter.empty, (name, parameter.name)
            elif parameter.name == "params":
                assert "--params JSON" in text, name


def test_output_to_a_file_that_cannot_be_written(
    server: LoopbackServer,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    server.script(json_response(200, {"data": []}))
    code, _, err = run(["byok_list", "-o", str(tmp_path / "no" / "such" / "dir.json")], capsys)
    assert code == 2
    assert "--output: cannot write" in err


def test_chat_reads_the_prompt_from_stdin_and_prints_json_on_request(
    server: LoopbackServer, env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server.script(json_response(200, completion_body("Bonjour")))
    code, out, _ = run(["chat", "-m", "x/y", "--json"], capsys, stdin="Say hello in French\n")
    assert code == 0
    assert json.loads(out) == completion_body("Bonjour")  # the whole response, as received
    request = last(server).json()
    assert request["messages"] == [{"role": "user", "content": "Say hello in French\n"}]
    assert request.get("stream") in (None, False)
    code, _, err = run(["chat", "-m", "x/y"], capsys, stdin="  \n")
    assert (code, "chat needs a prompt" in err) == (2, True)
