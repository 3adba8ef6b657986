"""What a careless first use meets: bad settings refused at once with the fix, arguments checked
as bodies are, messages that say what to do, the Accept each operation declares, a fake that
streams unscripted and fails as scripted, and reprs that show what matters."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import attrs
import httpx
import httpx2
import pytest
from returns.result import Failure, Success

from funcs.api_keys_get_current_key_metadata import api_keys_get_current_key_metadata
from funcs.chat_send import chat_send, chat_stream, chat_stream_async
from funcs.files_download import files_download
from funcs.files_list import files_list
from funcs.images_generate import images_generate
from funcs.models_list import models_list, models_list_iter
from funcs.presets_create_presets_responses import presets_create_presets_responses
from funcs.responses_send import responses_send, responses_send_async
from funcs.stt_create_transcription import stt_create_transcription
from funcs.tts_create_speech import tts_create_speech
from funcs.video_generation_get_video_content import video_generation_get_video_content
from funcs.video_generation_list_videos_models import video_generation_list_videos_models
from openrouter_core import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    ChatError,
    InvalidRequestError,
    OpenRouterCore,
    OpenRouterDefaultError,
    ResponseValidationError,
    RetryConfig,
    StreamConnectionError,
)
from openrouter_core.models import ChatResponse
from openrouter_core.models.responses import TextDeltaEvent
from openrouter_core.testing import (
    FakeOpenRouter,
    error_body,
    image_events,
    response_events,
)

PARAMS: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
SPEECH = {"model": "openai/gpt-4o-mini-tts", "input": "Hello", "voice": "alloy"}

# --- 1. settings are checked when the core is built --------------------------------------------


@pytest.mark.parametrize(
    ("settings", "error", "says"),
    [
        ({"api_key": 123}, TypeError, "api_key must be a str"),
        ({"api_key": b"sk-or-1"}, TypeError, "key.decode()"),
        ({"api_key": "sk-or-1\n"}, ValueError, "api_key.strip()"),
        ({"api_key": " sk-or-1"}, ValueError, "api_key=key.strip()"),
        ({"retry_config": 3}, TypeError, "RetryConfig(max_retries=3)"),
        ({"retry_config": "x"}, TypeError, "retry_config must be a RetryConfig or None"),
        ({"retry_config": {"max_retries": 1}}, TypeError, "RetryConfig(**{...})"),
        ({"client": httpx.AsyncClient()}, TypeError, "pass this one as async_client="),
        ({"client": httpx2.AsyncClient()}, TypeError, "pass this one as async_client="),
        ({"async_client": httpx.Client()}, TypeError, "pass this one as client="),
        ({"client": "http://proxy"}, TypeError, "client must be an HTTP client"),
        ({"default_headers": ["a"]}, TypeError, "default_headers must be a mapping"),
        ({"default_headers": {"X A": "1"}}, ValueError, "not a valid header name"),
        ({"server_url": "openrouter.ai/api/v1"}, ValueError, "'https://openrouter.ai/api/v1'?"),
        ({"server_url": "ftp://openrouter.ai"}, ValueError, "server_url must be an http(s) URL"),
        ({"server_url": "https://"}, ValueError, "names no host"),
        ({"server_url": 5}, TypeError, "server_url must be a str"),
        ({"base_url": "https://x.test"}, TypeError, "server_url="),
        ({"api_ky": "k"}, TypeError, "did you mean 'api_key'?"),
        ({"first_content_timeout": "1"}, TypeError, "first_content_timeout must be a number"),
        ({"chunk_gap_timeout": 0}, ValueError, "chunk_gap_timeout must be a positive"),
        ({"log_bodies": "yes"}, TypeError, "log_bodies must be True or False"),
        ({"app_categories": 3}, TypeError, "app_categories must be a str"),
        ({"app_title": 5}, TypeError, "app_title must be a str or None"),
    ],
)
def test_a_bad_setting_is_refused_when_the_core_is_built(
    settings: dict[str, Any], error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as raised:
        OpenRouterCore(**settings)
    assert says in str(raised.value)
    assert "sk-or-1" not in str(raised.value)  # never the key


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"max_retries": "3"}, TypeError),
        ({"max_retries": 1.5}, TypeError),
        ({"max_retries": True}, TypeError),
        ({"max_retries": -1}, ValueError),
        ({"initial_delay": float("nan")}, ValueError),
        ({"max_delay": float("inf")}, ValueError),
        ({"multiplier": 1e6}, ValueError),
        ({"jitter": 1}, TypeError),
        ({"retry_after_cap": "60"}, TypeError),
    ],
)
def test_retry_config_checks_its_fields(settings: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error, match=next(iter(settings))):
        RetryConfig(**settings)


def test_no_retries_for_none_and_a_long_wait_allowed() -> None:
    assert RetryConfig(max_elapsed=float("inf")).max_elapsed == float("inf")
    fake = FakeOpenRouter().fail_with(httpx2.ConnectError("refused"))
    error = chat_send(fake.core(retry_config=None), PARAMS).failure()
    assert isinstance(error, APIConnectionError)
    assert (error.attempts, len(fake.requests)) == (1, 1)


def test_a_core_built_from_good_settings_calls_without_raising() -> None:
    fake = FakeOpenRouter().reply_error(429, "slow").reply_error(429, "slow").reply("ok")
    core = fake.core(retry_config=RetryConfig(max_retries=2, initial_delay=0, max_delay=0))
    assert chat_send(core, PARAMS, stream=False).unwrap().choices[0].message.content == "ok"


@pytest.mark.parametrize("kind", [bytearray, memoryview, bytes])
def test_transcription_takes_any_bytes_like_audio(kind: type) -> None:
    fake = FakeOpenRouter()
    audio = kind(b"RIFF-audio")
    result = stt_create_transcription(fake.core(), {"model": "m", "input_audio": audio})
    assert isinstance(result, Success), result
    sent = fake.requests[0].json["input_audio"]
    assert base64.b64decode(sent["data"]) == b"RIFF-audio"


# --- 2. arguments are checked like bodies ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "path", "says"),
    [
        ({"limit": "ten"}, "limit", "must be an int from 1 to 1000, not str 'ten'"),
        ({"limit": 0}, "limit", "from 1 to 1000"),
        ({"limit": 5000}, "limit", "from 1 to 1000"),
        ({"offset": True}, "offset", "must be an int"),
        ({"min_price": float("nan")}, "min_price", "finite"),
        ({"category": 3}, "category", "must be a string, not int 3"),
        ({"zdr": "maybe"}, "zdr", "must be one of 'true'"),
        ({"categroy": "programming"}, "categroy", "did you mean 'category'?"),
        ({"timout": 3}, "timout", "did you mean 'timeout'?"),
    ],
)
def test_query_arguments_are_checked_before_sending(
    kwargs: dict[str, Any], path: str, says: str
) -> None:
    fake = FakeOpenRouter()
    error = models_list(fake.core(), **kwargs).failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == path
    assert says in error.message
    assert fake.requests == []


def test_an_unknown_keyword_lists_the_operations_own_parameters() -> None:
    error = models_list(FakeOpenRouter().core(), categroy="x").failure()  # type: ignore[call-arg]
    assert "its parameters: offset, limit, category," in error.message
    assert "options: chunk_gap_timeout," in error.message


def test_the_lazy_walk_checks_its_arguments_too() -> None:
    fake = FakeOpenRouter()
    (only,) = list(models_list_iter(fake.core(), limit="ten"))  # type: ignore[arg-type]
    assert only.failure().path == "limit"  # type: ignore[attr-defined]
    assert fake.requests == []


def test_good_arguments_are_sent_as_the_api_reads_them() -> None:
    fake = FakeOpenRouter()
    assert isinstance(models_list(fake.core(), limit=10, zdr=True, min_price=0.5), Success)  # type: ignore[arg-type]
    assert fake.requests[0].url.endswith("/models?limit=10&min_price=0.5&zdr=true")


@pytest.mark.parametrize("call", ["chat", "responses", "images"])
def test_stream_must_be_a_bool(call: str) -> None:
    fake = FakeOpenRouter()
    core = fake.core()
    if call == "chat":
        error = chat_send(core, PARAMS, stream="yes").failure()  # type: ignore[call-overload]
    elif call == "responses":
        error = responses_send(core, {"model": "m", "input": "hi"}, stream="yes").failure()  # type: ignore[call-overload]
    else:
        error = images_generate(core, {"model": "m", "prompt": "a cat"}, stream="yes").failure()  # type: ignore[call-overload]
    assert isinstance(error, InvalidRequestError)
    assert (error.path, fake.requests) == ("stream", [])
    assert chat_stream(core, PARAMS, stream=False).failure().path == "stream"  # type: ignore[call-arg, attr-defined]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({**PARAMS, "temprature": 1}, "temprature: unknown field; did you mean 'temperature'?"),
        ({**PARAMS, "provider": {"ordr": ["a"]}}, "provider.ordr: unknown field; did you mean"),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x", "nmae": "n"}]},
            "messages[0].nmae: unknown field; did you mean 'name'?",
        ),
    ],
)
def test_a_misspelt_body_field_gets_the_nearest_name(params: dict[str, Any], message: str) -> None:
    error = chat_send(FakeOpenRouter().core(), params).failure()
    assert isinstance(error, InvalidRequestError)
    assert error.message.startswith(message)


# --- 3. messages that say what to fix -----------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "kind", "start"),
    [
        (httpx2.ConnectError("refused"), APIConnectionError, "connection to fake.openrouter.test"),
        (httpx2.ReadTimeout("slow"), APITimeoutError, "request to fake.openrouter.test timed out"),
    ],
)
def test_connection_failures_name_the_host_and_the_attempts(
    exc: Exception, kind: type[Exception], start: str
) -> None:
    fake = FakeOpenRouter().fail_with(exc)
    error = chat_send(fake.core(), PARAMS).failure()
    assert isinstance(error, kind)
    assert error.message.startswith(start)
    assert "after 3 attempts" in error.message
    assert error.attempts == len(fake.requests) == 3  # type: ignore[attr-defined]


def test_an_unusable_url_at_call_time_points_at_server_url() -> None:
    fake = FakeOpenRouter().fail_with(httpx2.UnsupportedProtocol("Request URL has no scheme"))
    error = chat_send(fake.core(), PARAMS).failure()
    assert isinstance(error, APIConnectionError)
    assert "server_url" in error.message
    assert len(fake.requests) == 1  # not retried


HTML = b"<!DOCTYPE html><html><head><title>Sign in to the Wi-Fi</title></head><body>...</body>"


@pytest.mark.parametrize("status", [200, 404, 502])
def test_an_html_page_is_named_with_a_hint(status: int) -> None:
    fake = FakeOpenRouter().reply_raw(status, HTML, content_type="text/html; charset=utf-8")
    error = models_list(fake.core(retry_config=None)).failure()
    expected = ResponseValidationError if status == 200 else OpenRouterDefaultError
    assert isinstance(error, expected)
    assert "an HTML page (text/html; charset=utf-8)" in error.message
    assert "Sign in to the Wi-Fi" in error.message
    assert "server_url" in error.message
    assert "proxy" in error.message


def test_a_401_says_to_check_the_key() -> None:
    fake = FakeOpenRouter().reply_error(401, "No auth credentials found")
    error = chat_send(fake.core(), PARAMS).failure()
    assert isinstance(error, ChatError)
    assert "No auth credentials found" in error.message
    assert "OPENROUTER_API_KEY" in error.message


@pytest.mark.parametrize("status", [408, 410, 504, 524])
def test_openrouter_json_errors_are_api_errors(status: int) -> None:
    fake = FakeOpenRouter().reply_error(status, "upstream timed out")
    error = api_keys_get_current_key_metadata(fake.core(retry_config=None)).failure()
    assert type(error) is APIError
    assert error.status_code == status
    assert isinstance(
        chat_send(FakeOpenRouter().reply_error(504, "x").core(retry_config=None), PARAMS).failure(),
        ChatError,
    )


# --- 4. the Accept each operation declares ------------------------------------------------------


def test_each_operation_asks_for_what_it_answers() -> None:
    fake = FakeOpenRouter()
    core = fake.core()
    tts_create_speech(core, SPEECH).unwrap().close()
    files_download(core, file_id="file-1").unwrap().close()
    video_generation_get_video_content(core, job_id="job-1").unwrap().close()
    files_list(core).unwrap()
    chat_stream(core, PARAMS).unwrap().close()
    accepts = [request.headers["accept"] for request in fake.requests]
    assert accepts == [
        "audio/*",
        "application/octet-stream",
        "video/mp4",
        "application/json",
        "text/event-stream",
    ]


# --- 5. the fake -------------------------------------------------------------------------------


def test_unscripted_streams_stream() -> None:
    fake = FakeOpenRouter()
    core = fake.core()
    with chat_stream(core, PARAMS).unwrap() as stream:
        assert stream.collect().unwrap().choices[0].message.content == "Hello from the fake."
    with responses_send(core, {"model": "m", "input": "hi"}, stream=True).unwrap() as events:
        deltas = [
            e.delta or "" for e in (i.unwrap() for i in events) if isinstance(e, TextDeltaEvent)
        ]
    final = responses_send(core, {"model": "m", "input": "hi"}, stream=True).unwrap().collect()
    assert "".join(deltas) == final.unwrap().output[0].content[0].text  # type: ignore[union-attr, index]
    image = images_generate(core, {"model": "m", "prompt": "a cat"}, stream=True).unwrap()
    assert image.collect().unwrap().data[0].b64_json
    # Asked without streaming, the same operations answer JSON.
    assert isinstance(chat_send(core, PARAMS, stream=False).unwrap(), ChatResponse)

    async def go() -> tuple[Any, Any]:
        chat = await (await chat_stream_async(core, PARAMS)).unwrap().collect()
        responses = (
            await (await responses_send_async(core, {"model": "m", "input": "hi"}, stream=True))
            .unwrap()
            .collect()
        )
        return chat, responses

    chat, responses = asyncio.run(go())
    assert isinstance(chat, Success)
    assert isinstance(responses, Success)


def test_routes_match_whole_paths() -> None:
    fake = FakeOpenRouter()
    core = fake.core()
    videos = video_generation_list_videos_models(core).unwrap()
    assert type(videos).__name__ == "VideoModelsListResponse"
    preset = presets_create_presets_responses(core, {"model": "m"}, slug="p").unwrap()
    assert type(preset).__name__ == "PresetResponse"
    client = httpx2.Client(transport=fake)
    answer = client.get("https://fake.openrouter.test/api/v1/no/such/models")
    assert answer.status_code == 404
    assert "no route GET /api/v1/no/such/models" in answer.json()["error"]["message"]
    other = FakeOpenRouter()
    moved = other.core(server_url="https://gateway.test/openrouter/v1")
    assert models_list(moved).unwrap().data[0].id
    assert other.requests[0].url == "https://gateway.test/openrouter/v1/models"


def test_a_scripted_failure_reaches_the_caller_after_the_retries() -> None:
    fake = FakeOpenRouter().fail_with(httpx2.ConnectError("refused"))
    core = fake.core()
    error = chat_send(core, PARAMS).failure()
    assert isinstance(error, APIConnectionError)
    assert "refused" in error.message
    assert error.attempts == len(fake.requests) == 3
    # A reply scripted after it ends the outage.
    fake.reply("back")
    assert chat_send(core, PARAMS, stream=False).unwrap().choices[0].message.content == "back"
    fake.reply_error(503, "busy")
    assert chat_send(core, PARAMS).failure().status_code == 503  # type: ignore[attr-defined]


def test_a_stream_scripted_to_fail_fails_after_its_chunks() -> None:
    fake = FakeOpenRouter().reply_stream(["Hel", "lo"], fail=httpx2.ReadError("reset"))
    with chat_stream(fake.core(), PARAMS).unwrap() as stream:
        items = list(stream)
    assert [i.unwrap().choices[0].delta.content for i in items[:-1]] == ["", "Hel", "lo"]
    assert isinstance(items[-1].failure(), StreamConnectionError)
    fake = FakeOpenRouter().reply_stream(["Hel", "lo"], fail=httpx2.ReadError("reset"))
    error = chat_send(fake.core(), PARAMS, stream=False).failure()
    assert isinstance(error, StreamConnectionError)
    assert error.partial.choices[0].message.content == "Hello"


def test_responses_and_image_event_builders() -> None:
    fake = FakeOpenRouter().reply_stream(events=response_events(["Hi", " there"]), split=11)
    core = fake.core()
    answer = responses_send(core, {"model": "m", "input": "x"}, stream=True).unwrap().collect()
    assert answer.unwrap().output[0].content[0].text == "Hi there"  # type: ignore[union-attr, index]
    fake.reply_stream(events=image_events(2, b64_json="QUJD"))
    images = images_generate(core, {"model": "m", "prompt": "x"}, stream=True).unwrap()
    kinds = [type(item.unwrap()).__name__ for item in images]
    assert kinds == ["ImageGenPartialImageEvent"] * 2 + ["ImageGenCompletedEvent"]
    assert json.loads(fake.requests[-1].content)["stream"] is True


# --- 7. reprs ----------------------------------------------------------------------------------


def test_reprs_show_what_matters() -> None:
    fake = FakeOpenRouter()
    core = fake.core()
    response = chat_send(core, PARAMS, stream=False).unwrap()
    assert repr(response).startswith("ChatResponse(id='gen-fake-1', ")
    assert "extras=" not in repr(response)
    assert "extras={'x': 1}" in repr(attrs.evolve(response, extras={"x": 1}))
    listed = repr(files_list(core).unwrap())
    assert "_shape" not in listed
    assert "extras" not in listed
    stream = chat_stream(core, PARAMS).unwrap()
    assert repr(stream).startswith("<ChatStream gen-fake-1: ")
    stream.collect()
    assert repr(stream) == "<ChatStream gen-fake-1: 5 events received, ended>"
    body = tts_create_speech(core, SPEECH).unwrap()
    assert repr(body) == "<Body audio/mpeg, 4096 bytes, 0 read, open>"
    body.read()
    assert repr(body) == "<Body audio/mpeg, 4096 bytes, 4096 read, closed>"


def test_a_scripted_error_status_keeps_answering_until_a_reply_follows() -> None:
    fake = FakeOpenRouter().reply_json(403, error_body("nope", code=403))
    core = fake.core()
    assert isinstance(models_list(core).failure(), APIError)
    assert isinstance(models_list(core), Failure)  # nothing scripted after it: still refused
    fake.reply_json(200, {"data": []})
    assert models_list(core).unwrap().data == []


# --- 6. public import paths ---------------------------------------------------------------------


def test_binary_answers_have_a_public_import_path() -> None:
    import typing

    from funcs.tts_create_speech import tts_create_speech_async
    from openrouter_core.binary import AsyncBody, Body

    hints = typing.get_type_hints(tts_create_speech)
    assert typing.get_args(hints["return"])[0] is Body
    assert typing.get_args(typing.get_type_hints(tts_create_speech_async)["return"])[0] is AsyncBody
