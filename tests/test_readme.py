"""The README's examples do what the README says (run against the fake, no network)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from returns.result import Failure

from funcs.chat_send import chat_send
from openrouter_core import InvalidRequestError, OpenRouterCore
from openrouter_core.models import (
    ChatContentImage,
    ChatContentText,
    ChatFunctionTool,
    ChatGenerationParams,
    ChatSystemMessage,
    ChatUserMessage,
    FunctionDefinition,
    ImageUrl,
)
from openrouter_core.testing import FAKE_BYTES, FakeOpenRouter

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_shows_both_commands_on_first_screen() -> None:
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make test" in first_screen
    assert "make demo" in first_screen


def test_unknown_role_example_prints_what_it_shows(capsys: Any) -> None:
    code = _block('{"role": "wizard"')
    exec(
        compile(code, "README wizard example", "exec"),
        {"core": OpenRouterCore(api_key="k"), "chat_send": chat_send},
    )
    printed = capsys.readouterr().out.strip()
    assert f"# {printed}" in code
    result = chat_send(
        OpenRouterCore(api_key="k"), {"messages": [{"role": "wizard", "content": "hi"}]}
    )
    assert isinstance(result, Failure)
    err = result.failure()
    assert isinstance(err, InvalidRequestError)
    assert err.message == "messages[0].role: unknown role 'wizard'"
    assert err.message in printed


def test_the_argument_check_example() -> None:
    from funcs.models_list import models_list

    fake = FakeOpenRouter()
    error = models_list(fake.core(), limit="ten").failure()  # type: ignore[arg-type]
    assert error.path == "limit"  # type: ignore[attr-defined]
    typo = models_list(fake.core(), categroy="x").failure()  # type: ignore[call-arg]
    shown = "categroy: models_list has no parameter or option 'categroy'; did you mean 'category'?"
    assert typo.message.startswith(shown)
    assert shown in README
    assert fake.requests == []


def test_demo_installs_the_runtime_only() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    setup = makefile.split("$(DEMO)/.installed:", 1)[1].split("\n\n", 1)[0]
    assert "$(DEMO)" in recipe
    assert "requirements-dev" not in recipe + setup
    assert "['project']['dependencies']" in setup


def test_license_and_changelog() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "openrouter-core contributors" in text
    assert (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").startswith("# Changelog")


def test_typed_params_example() -> None:
    params = ChatGenerationParams(
        model="openai/gpt-4o-mini",
        messages=[
            ChatSystemMessage(content="Answer briefly."),
            ChatUserMessage(
                content=[
                    ChatContentText(text="What is in this picture?"),
                    ChatContentImage(image_url=ImageUrl(url="https://example.com/cat.png")),
                ]
            ),
        ],
        tools=[
            ChatFunctionTool(
                function=FunctionDefinition(name="lookup", parameters={"type": "object"})
            )
        ],
        temperature=0.2,
    )
    fake = FakeOpenRouter()
    assert chat_send(fake.core(), params).unwrap() is not None
    sent = fake.requests[0].json
    assert sent["messages"][1]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png"},
    }
    assert sent["tools"][0]["function"]["name"] == "lookup"
    again = ChatGenerationParams.from_dict(params.to_dict()).unwrap()
    assert again.to_dict() == params.to_dict()


def test_fake_example() -> None:
    params: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
    fake = (
        FakeOpenRouter()
        .reply_error(429, "slow down")
        .reply("Hi there")
        .reply_stream(["Hel", "lo"], split=7)
        .fail_with(httpx2.ConnectError("refused"))
    )
    core = fake.core()
    assert chat_send(core, params).unwrap().choices[0].message.content == "Hi there"  # type: ignore[union-attr]
    assert fake.requests[0].json["messages"] == params["messages"]


def test_demo_runs_offline() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert "fake" in lines[0]
    assert any(line.startswith("reply: ") for line in lines)
    assert any(line.startswith("usage: ") and "tokens" in line for line in lines)
    assert "stream: Streaming works too." in lines


def _block(containing: str) -> str:
    blocks = README.split("```python\n")[1:]
    found = [b.split("```", 1)[0] for b in blocks if containing in b]
    assert len(found) == 1, f"one README block holds {containing!r}"
    return found[0]


def test_quick_start_runs_and_prints_the_reply(capsys: Any) -> None:
    fake = FakeOpenRouter().reply("Hello from the README")
    code = _block("case Success(ChatResponse() as response)")
    code = code.replace("OpenRouterCore()", "fake.core()")
    exec(compile(code, "README quick start", "exec"), {"fake": fake})
    assert "Hello from the README" in capsys.readouterr().out
    assert fake.requests[0].json["stream"] is False


def test_streaming_example_runs_and_prints_the_chunks(capsys: Any) -> None:
    fake = FakeOpenRouter().reply_stream(["Hel", "lo"], split=7)
    code = _block("case Success(ChatStream() as stream)")
    namespace: dict[str, Any] = {
        "core": fake.core(),
        "params": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
    }
    # The block continues the quick start: its imports come from there.
    imports = "from returns.result import Failure, Success\nfrom funcs.chat_send import chat_send\n"
    imports += "from openrouter_core import OpenRouterCoreError\n"
    exec(imports + code, namespace)
    exec_out = capsys.readouterr().out
    assert exec_out == "Hello"


def test_typed_params_slip_example() -> None:
    err = chat_send(OpenRouterCore(api_key="k"), ChatGenerationParams(messages="hi")).failure()  # type: ignore[arg-type]
    assert isinstance(err, InvalidRequestError)
    assert err.message == "messages: expected array, got string"
    assert err.message in README


def test_whole_api_example_runs_against_the_fake(capsys: Any) -> None:
    fake = FakeOpenRouter()
    code = _block("for item in models_list_iter(core):")
    exec(compile(code, "README whole-API example", "exec"), {"core": fake.core()})
    out = capsys.readouterr().out
    assert "openai/gpt-4" in out
    paths = [request.url.split("/api/v1", 1)[1] for request in fake.requests]
    assert paths[:2] == ["/key", "/models?category=programming"]
    assert paths[-1] == "/generation?id=gen-1234567890"


def test_binary_uploads_and_jobs_example_runs_against_the_fake(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4 example")
    fake = FakeOpenRouter()
    namespace: dict[str, Any] = {"core": fake.core()}
    exec(compile(_block("video_generation_wait(core"), "README jobs example", "exec"), namespace)
    assert (tmp_path / "hello.mp3").read_bytes() == FAKE_BYTES
    assert namespace["done"].unwrap().status == "completed"
    assert b"%PDF-1.4 example" in fake.requests[0].content


def test_responses_stream_example_runs_against_the_fake(capsys: Any) -> None:
    from openrouter_core.testing import sse_bytes

    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "r1", "status": "in_progress"}},
        {"type": "response.output_text.delta", "delta": "Hi", "item_id": "m"},
        {"type": "response.output_text.delta", "delta": "!", "item_id": "m"},
        {"type": "response.completed", "response": {"id": "r1", "status": "completed"}},
    ]
    fake = FakeOpenRouter().reply_stream(body=sse_bytes(events, done=False), split=9)
    namespace: dict[str, Any] = {"core": fake.core()}
    exec(compile(_block("isinstance(event, TextDeltaEvent)"), "README", "exec"), namespace)
    assert capsys.readouterr().out == "Hi!"
    assert fake.requests[0].json["stream"] is True


def test_evolve_example() -> None:
    import attrs

    core = OpenRouterCore(api_key="k", app_title="App")
    assert 'slow = attrs.evolve(core, timeout=120.0, app_title="Batch job")' in README
    slow = attrs.evolve(core, timeout=120.0, app_title="Batch job")
    assert slow.timeout == 120.0
    assert slow.base_headers["X-OpenRouter-Title"] == "Batch job"
    assert core.base_headers["X-OpenRouter-Title"] == "App"
    assert slow.base_headers["Authorization"] == "Bearer k"


def test_models_and_converter_example(capsys: Any) -> None:
    code = _block("class Saved:")
    # Compiled as the README's reader runs it: without this module's ``annotations`` future.
    exec(compile(code, "README models example", "exec", dont_inherit=True), {})
    assert capsys.readouterr().out == "['extras', 'id', 'object', 'created'] gen-2\n"
    from openrouter_core import converter
    from openrouter_core.models import ChatResponse, ModelError

    with pytest.raises(ModelError, match="choices: expected array, got string"):
        converter.structure({"choices": "x"}, ChatResponse)
