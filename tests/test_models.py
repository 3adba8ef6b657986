"""The typed models: a request corpus, forward compatibility, strict requests, error bodies."""

from __future__ import annotations

import copy
import functools
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from returns.result import Failure, Success

from openrouter_core.errors import InvalidRequestError, ResponseValidationError
from openrouter_core.models import (
    AdvisorServerTool,
    AdvisorToolConfig,
    CacheControl,
    ChatAssistantMessage,
    ChatContentAudio,
    ChatContentFile,
    ChatContentImage,
    ChatContentInputVideo,
    ChatContentText,
    ChatContentUnknown,
    ChatContentVideo,
    ChatFunctionTool,
    ChatGenerationParams,
    ChatNamedToolChoice,
    ChatNamedToolChoiceFunction,
    ChatResponse,
    ChatStreamChunk,
    ChatSystemMessage,
    ChatToolCall,
    ChatToolCallFunction,
    ChatToolMessage,
    ChatUserMessage,
    ErrorResponse,
    FileInput,
    FunctionDefinition,
    ImageUrl,
    InputAudio,
    JsonSchemaConfig,
    ProviderPreferences,
    ReasoningDetailEncrypted,
    ReasoningDetailUnknown,
    ResponseFormatJsonSchema,
    TraceConfig,
    VideoUrl,
    WebSearchServerTool,
    WebSearchToolConfig,
)
from openrouter_core.models._converter import get_converter
from tests.scale import examples

# --- a corpus of requests covering every field, role and content part -------------------------

_TEXT = {"type": "text", "text": "Describe these."}
_ALL_PARTS: list[dict[str, Any]] = [
    {
        "type": "text",
        "text": "Look:",
        "cache_control": {"type": "ephemeral", "ttl": "1h"},
        "prompt_cache_breakpoint": {"mode": "explicit"},
    },
    {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "original"}},
    {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    {
        "type": "file",
        "file": {
            "file_data": "data:application/pdf;base64,JVBERi0=",
            "file_id": "file-1",
            "filename": "a.pdf",
        },
    },
    {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}},
    {"type": "input_video", "video_url": {"url": "https://example.com/old.mp4"}},
]
_REASONING_DETAILS: list[dict[str, Any]] = [
    {
        "type": "reasoning.summary",
        "summary": "s",
        "id": "r1",
        "format": "anthropic-claude-v1",
        "index": 0,
    },
    {"type": "reasoning.encrypted", "data": "opaque", "format": "openai-responses-v1"},
    {"type": "reasoning.text", "text": "thinking", "signature": "sig", "index": 2},
    {
        "type": "reasoning.server_tool_call",
        "tool_name": "web_search",
        "arguments": "{}",
        "result": "[]",
        "tool_call_id": "call_9",
    },
]
_MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are terse.", "name": "sys"},
    {"role": "system", "content": [_TEXT]},
    {"role": "developer", "content": "Answer in JSON.", "name": "dev"},
    {"role": "developer", "content": [_TEXT]},
    {"role": "user", "content": "Hi", "name": "ann"},
    {"role": "user", "content": _ALL_PARTS},
    {
        "role": "assistant",
        "content": None,
        "name": "bot",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
            }
        ],
        "refusal": None,
        "reasoning": "Need the weather.",
        "reasoning_details": _REASONING_DETAILS,
        "images": [{"image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}],
        "audio": {"id": "audio_1", "data": "AAAA", "expires_at": 1700000000, "transcript": "hi"},
        "model": "openai/gpt-4o",
    },
    {"role": "assistant", "content": [_TEXT]},
    {"role": "tool", "content": '{"temp": 3}', "tool_call_id": "call_1"},
    {"role": "tool", "content": [_TEXT], "tool_call_id": "call_1"},
]
_USER_LOCATION = {
    "type": "approximate",
    "city": "Oslo",
    "region": "Oslo",
    "country": "NO",
    "timezone": "Europe/Oslo",
}
_WEB_SEARCH_FIELDS: dict[str, Any] = {
    "engine": "exa",
    "max_results": 5,
    "max_total_results": 50,
    "max_uses": 2,
    "max_characters": 1000,
    "search_context_size": "high",
    "mode": "deep",
    "allowed_domains": ["example.com"],
    "excluded_domains": ["spam.example"],
    "user_location": _USER_LOCATION,
}
_NESTED_TOOLS = [{"type": "openrouter:web_search", "parameters": {"max_results": 3}}]
_TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather.",
            "parameters": {"type": "object", "properties": {}},
            "strict": True,
        },
        "cache_control": {"type": "ephemeral"},
    },
    {"type": "openrouter:web_search", "parameters": _WEB_SEARCH_FIELDS},
    {"type": "web_search_preview", **_WEB_SEARCH_FIELDS, "parameters": {"max_results": 2}},
    {"type": "web_search"},
    {
        "type": "openrouter:web_fetch",
        "parameters": {
            "engine": "openrouter",
            "max_uses": 1,
            "max_content_tokens": 500,
            "allowed_domains": ["a.example"],
            "blocked_domains": ["b.example"],
        },
    },
    {"type": "openrouter:datetime", "parameters": {"timezone": "UTC"}},
    {"type": "openrouter:files", "parameters": {}},
    {
        "type": "openrouter:image_generation",
        "parameters": {"model": "google/gemini-2.5-flash-image", "aspect_ratio": "16:9"},
    },
    {"type": "openrouter:experimental__search_models", "parameters": {"max_results": 4}},
    {
        "type": "openrouter:bash",
        "parameters": {
            "engine": "native",
            "environment": {"type": "container_auto"},
            "sleep_after_seconds": 60,
        },
    },
    {
        "type": "openrouter:bash",
        "parameters": {"environment": {"type": "container_reference", "container_id": "cnt_1"}},
    },
    {
        "type": "openrouter:advisor",
        "parameters": {
            "model": "openai/o3",
            "name": "Advisor",
            "instructions": "Be careful.",
            "max_completion_tokens": 800,
            "temperature": 0.2,
            "stream": False,
            "forward_transcript": True,
            "reasoning": {"effort": "high", "max_tokens": 400},
        },
    },
    {
        "type": "openrouter:subagent",
        "parameters": {
            "model": "openai/gpt-4o-mini",
            "name": "helper",
            "instructions": "Search.",
            "tools": _NESTED_TOOLS,
            "inherit_functions": True,
            "inherited_function_names": ["get_weather"],
            "max_tool_calls": 5,
            "max_completion_tokens": 1000,
            "temperature": 1,
            "reasoning": {"effort": "low"},
        },
    },
    {
        "type": "openrouter:fusion",
        "parameters": {
            "analysis_models": ["a/b", "c/d"],
            "model": "e/f",
            "tools": _NESTED_TOOLS,
            "max_tool_calls": 4,
            "max_completion_tokens": 2000,
            "temperature": 0.5,
            "reasoning": {"effort": "medium", "max_tokens": 100},
            "cache_control": {"type": "ephemeral", "ttl": "5m"},
        },
    },
]
_PLUGINS: list[dict[str, Any]] = [
    {
        "id": "auto-router",
        "enabled": True,
        "allowed_models": ["openai/*"],
        "excluded_models": ["x/y"],
        "cost_tier": "low",
        "cost_quality_tradeoff": 3,
        "pin_model": True,
    },
    {
        "id": "auto-beta-router",
        "enabled": True,
        "allowed_models": ["a/b"],
        "excluded_models": [],
        "cost_tier": "max",
        "cost_quality_tradeoff": 10,
    },
    {"id": "moderation"},
    {
        "id": "web",
        "enabled": True,
        "engine": "exa",
        "max_results": 3,
        "max_uses": 1,
        "search_prompt": "Sources:",
        "include_domains": ["a.example"],
        "exclude_domains": ["b.example"],
        "mode": "fast",
        "user_location": _USER_LOCATION,
    },
    {
        "id": "web-fetch",
        "max_uses": 2,
        "max_content_tokens": 1000,
        "allowed_domains": ["a.example"],
        "blocked_domains": ["b.example"],
    },
    {"id": "file-parser", "enabled": True, "pdf": {"engine": "mistral-ocr"}},
    {"id": "response-healing", "enabled": False},
    {"id": "context-compression", "enabled": True, "engine": "middle-out"},
    {
        "id": "pareto-router",
        "enabled": True,
        "min_coding_score": 0.5,
        "max_price": 3,
        "price_source": "weighted_avg",
    },
    {
        "id": "fusion",
        "enabled": True,
        "preset": "general-fast",
        "analysis_models": ["a/b"],
        "model": "c/d",
        "max_tool_calls": 2,
        "tools": [{"type": "openrouter:datetime"}],
    },
]
_STOP_WHEN: list[dict[str, Any]] = [
    {"type": "step_count_is", "step_count": 3},
    {"type": "has_tool_call", "tool_name": "finish"},
    {"type": "max_tokens_used", "max_tokens": 10000},
    {"type": "max_cost", "max_cost_in_dollars": 0.25},
    {"type": "finish_reason_is", "reason": "stop"},
]

KITCHEN_SINK: dict[str, Any] = {
    "model": "openai/gpt-4o",
    "models": ["openai/gpt-4o", "anthropic/claude-sonnet-4"],
    "messages": _MESSAGES,
    "stream": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.7,
    "top_p": 0.9,
    "top_k": 40,
    "top_a": 0.1,
    "min_p": 0.05,
    "frequency_penalty": 0.5,
    "presence_penalty": -0.5,
    "repetition_penalty": 1.1,
    "logit_bias": {"50256": -100, "1234": 2.5},
    "logprobs": True,
    "top_logprobs": 5,
    "seed": 42,
    "stop": ["\n\n", "END"],
    "max_completion_tokens": 1024,
    "max_tokens": 1024,
    "tools": _TOOLS,
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "parallel_tool_calls": False,
    "response_format": {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "description": "The answer.",
            "schema": {"type": "object"},
            "strict": True,
        },
    },
    "reasoning": {"effort": "xhigh", "summary": "concise"},
    "reasoning_effort": "xhigh",
    "provider": {
        "order": ["OpenAI", "Some New Provider"],
        "only": ["OpenAI", "Azure"],
        "ignore": ["Groq"],
        "allow_fallbacks": False,
        "require_parameters": True,
        "data_collection": "deny",
        "zdr": True,
        "enforce_distillable_text": False,
        "quantizations": ["fp8", "bf16"],
        "sort": {"by": "latency", "partition": "none"},
        "preferred_max_latency": {"p50": 1.5, "p90": 3},
        "preferred_min_throughput": 50,
        "max_price": {
            "prompt": "1",
            "completion": "2",
            "image": "0.01",
            "audio": "0.5",
            "request": "0.001",
        },
    },
    "plugins": _PLUGINS,
    "stop_server_tools_when": _STOP_WHEN,
    "modalities": ["text", "image", "audio"],
    "image_config": {"aspect_ratio": "16:9", "quality": 90, "sizes": [1, 2]},
    "prediction": {"type": "content", "content": "def f():"},
    "cache_control": {"type": "ephemeral", "ttl": "5m"},
    "prompt_cache_key": "conv-1",
    "prompt_cache_options": {"mode": "explicit", "ttl": "1h"},
    "service_tier": "flex",
    "metadata": {"team": "search", "env": "prod"},
    "user": "user-123",
    "session_id": "sess-1",
    "trace": {
        "trace_id": "t1",
        "trace_name": "chat",
        "span_name": "s",
        "generation_name": "g",
        "parent_span_id": "p",
        "custom_key": {"any": ["thing"]},
    },
    "debug": {"echo_upstream_body": True},
}


def _with(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"messages": [{"role": "user", "content": "Hi"}]}
    base.update(changes)
    return base


REQUEST_CORPUS: dict[str, dict[str, Any]] = {
    "minimal": _with(),
    "kitchen_sink": KITCHEN_SINK,
    "tool_choice_none": _with(tool_choice="none"),
    "tool_choice_auto": _with(tool_choice="auto"),
    "tool_choice_required": _with(tool_choice="required"),
    "tool_choice_server": _with(tool_choice={"type": "openrouter:web_search"}),
    "format_text": _with(response_format={"type": "text"}),
    "format_json_object": _with(response_format={"type": "json_object"}),
    "format_grammar": _with(response_format={"type": "grammar", "grammar": 'root ::= "a"'}),
    "format_python": _with(response_format={"type": "python"}),
    "stop_string": _with(stop="END"),
    "provider_sort_string": _with(
        provider={
            "sort": "price",
            "preferred_max_latency": 2,
            "preferred_min_throughput": {"p50": 10},
        }
    ),
    "prediction_parts": _with(
        prediction={"type": "content", "content": [{"type": "text", "text": "x"}]}
    ),
}


@functools.cache
def typed_requests() -> list[ChatGenerationParams]:
    """Requests built from the classes rather than from dicts."""
    return [
        ChatGenerationParams(
            model="openai/gpt-4o-mini",
            messages=[
                ChatSystemMessage(content="Be brief."),
                ChatUserMessage(
                    content=[
                        ChatContentText(text="What is in these?", cache_control=CacheControl()),
                        ChatContentImage(image_url=ImageUrl(url="https://example.com/x.png")),
                        ChatContentAudio(input_audio=InputAudio(data="AAAA", format="mp3")),
                        ChatContentFile(file=FileInput(file_id="file-1")),
                        ChatContentVideo(video_url=VideoUrl(url="https://example.com/v.mp4")),
                        ChatContentInputVideo(video_url=VideoUrl(url="https://example.com/w.mp4")),
                    ]
                ),
                ChatAssistantMessage(
                    tool_calls=[
                        ChatToolCall(
                            id="c1", function=ChatToolCallFunction(name="f", arguments="{}")
                        )
                    ],
                    reasoning_details=[ReasoningDetailEncrypted(data="xyz")],
                ),
                ChatToolMessage(content="42", tool_call_id="c1"),
            ],
            tools=[
                ChatFunctionTool(function=FunctionDefinition(name="f", parameters={})),
                WebSearchServerTool(parameters=WebSearchToolConfig(max_results=3)),
                AdvisorServerTool(parameters=AdvisorToolConfig(model="openai/o3")),
            ],
            tool_choice=ChatNamedToolChoice(function=ChatNamedToolChoiceFunction(name="f")),
            response_format=ResponseFormatJsonSchema(json_schema=JsonSchemaConfig(name="a")),
            provider=ProviderPreferences(order=["OpenAI"], sort="throughput"),
            trace=TraceConfig(trace_id="t", extras={"team": "x"}),
        ),
        ChatGenerationParams(messages=[ChatUserMessage(content="Hi")], temperature=0.0),
    ]


# --- requests: strict reading ---------------------------------------------------------------


def _request_failure(data: Any) -> InvalidRequestError:
    result = ChatGenerationParams.from_dict(data)
    assert isinstance(result, Failure), result
    error = result.failure()
    assert isinstance(error, InvalidRequestError)
    assert error.message == (f"{error.path}: {error.problem}" if error.path else error.problem)
    return error


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        (
            _with(
                messages=[
                    {"role": "user", "content": "a"},
                    {"role": "user", "content": "b"},
                    {"role": "wizard", "content": "c"},
                ]
            ),
            "messages[2].role",
            "unknown role 'wizard'",
        ),
        (_with(messages=[{"role": "user"}]), "messages[0].content", "required field missing"),
        (_with(messages=[{"content": "x"}]), "messages[0].role", "required field missing"),
        (
            _with(messages=[{"role": "tool", "content": "x"}]),
            "messages[0].tool_call_id",
            "required field missing",
        ),
        (_with(messages=[]), "messages", "must hold at least one message"),
        ({"model": "m"}, "messages", "required field missing"),
        (_with(temprature=0.5), "temprature", "unknown field"),
        (
            _with(
                messages=[
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": 7}}]}
                ]
            ),
            "messages[0].content[0].image_url.url",
            "expected string, got integer",
        ),
        (
            _with(messages=[{"role": "user", "content": [{"type": "hologram"}]}]),
            "messages[0].content[0].type",
            "unknown content part type 'hologram'",
        ),
        (
            _with(
                messages=[
                    {
                        "role": "system",
                        "content": [{"type": "image_url", "image_url": {"url": "u"}}],
                    }
                ]
            ),
            "messages[0].content[0].type",
            "expected 'text', got 'image_url'",
        ),
        (
            _with(messages=[{"role": "user", "content": "x", "colour": "red"}]),
            "messages[0].colour",
            "unknown field",
        ),
        (
            _with(tools=[{"type": "function", "function": {"name": "f", "paramters": {}}}]),
            "tools[0].function.paramters",
            "unknown field",
        ),
        (
            _with(tools=[{"type": "openrouter:teleport"}]),
            "tools[0].type",
            "unknown tool type 'openrouter:teleport'",
        ),
        (
            _with(response_format={"type": "yaml"}),
            "response_format.type",
            "unknown response format type 'yaml'",
        ),
        (
            _with(plugins=[{"id": "web", "max_results": "five"}]),
            "plugins[0].max_results",
            "expected integer, got string",
        ),
        (
            _with(provider={"order": ["OpenAI", 3]}),
            "provider.order[1]",
            "expected string, got integer",
        ),
        (_with(temperature="hot"), "temperature", "expected number, got string"),
        (_with(temperature=True), "temperature", "expected number, got boolean"),
        (_with(max_tokens=1.5), "max_tokens", "expected integer, got number"),
        (_with(stream="yes"), "stream", "expected boolean, got string"),
        (_with(metadata={"a": 1}), "metadata.a", "expected string, got integer"),
        (_with(stop=5), "stop", "expected string or array or null, got integer"),
        (
            _with(stop_server_tools_when=[]),
            "stop_server_tools_when",
            "must hold at least one condition",
        ),
        (_with(messages="hello"), "messages", "expected array, got string"),
    ],
)
def test_bad_requests_name_the_path(data: Any, path: str, problem: str) -> None:
    error = _request_failure(data)
    assert (error.path, error.problem) == (path, problem)


@pytest.mark.parametrize("data", [None, 5, "text", [1, 2], 1.5, True])
def test_non_mapping_request_is_a_failure(data: Any) -> None:
    error = _request_failure(data)
    assert error.path == ""
    assert error.problem.startswith("expected object, got ")


def test_several_unknown_keys_are_all_named() -> None:
    error = _request_failure(_with(temprature=1, top_q=2))
    assert error.path == "temprature"
    assert "top_q" in error.problem


def test_open_enums_accept_any_string() -> None:
    data = _with(
        reasoning={"effort": "galactic", "summary": "verbose"},
        service_tier="turbo",
        modalities=["text", "smell"],
        provider={
            "order": ["Brand New Host"],
            "data_collection": "maybe",
            "quantizations": ["fp2"],
            "sort": "vibes",
        },
    )
    assert ChatGenerationParams.from_dict(data).unwrap().to_dict() == data


def test_extras_pass_fields_through_on_typed_requests() -> None:
    params = ChatGenerationParams(
        messages=[ChatUserMessage(content="Hi", extras={"cache_hint": 1})],
        extras={"transforms": ["middle-out"]},
    )
    assert params.to_dict() == {
        "messages": [{"role": "user", "content": "Hi", "cache_hint": 1}],
        "transforms": ["middle-out"],
    }
    # ...but reading such a mapping back is strict.
    assert _request_failure(params.to_dict()).path == "messages[0].cache_hint"


def test_open_request_objects_keep_unknown_keys() -> None:
    data = _with(trace={"trace_id": "t", "anything": {"x": 1}})
    params = ChatGenerationParams.from_dict(data).unwrap()
    assert params.trace is not None
    assert params.trace.extras == {"anything": {"x": 1}}
    assert params.to_dict() == data


def test_unset_fields_are_omitted() -> None:
    assert ChatGenerationParams(messages=[ChatUserMessage(content="Hi")]).to_dict() == {
        "messages": [{"role": "user", "content": "Hi"}]
    }


def test_request_input_is_not_mutated() -> None:
    data = copy.deepcopy(KITCHEN_SINK)
    ChatGenerationParams.from_dict(data).unwrap().to_dict()
    assert data == KITCHEN_SINK


# --- responses: tolerant reading and forward compatibility -------------------------------------

RESPONSE: dict[str, Any] = {
    "id": "gen-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "openai/gpt-4o",
    "provider": "OpenAI",
    "system_fingerprint": "fp_1",
    "service_tier": "default",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "native_finish_reason": "tool_use",
            "logprobs": None,
            "message": {
                "role": "assistant",
                "content": "Checking.",
                "refusal": None,
                "reasoning": "r",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
                "reasoning_details": _REASONING_DETAILS,
                "annotations": [
                    {
                        "type": "url_citation",
                        "url_citation": {
                            "url": "https://example.com",
                            "title": "Ex",
                            "content": "c",
                            "start_index": 0,
                            "end_index": 5,
                        },
                    }
                ],
                "images": [{"image_url": {"url": "data:image/png;base64,AAAA"}}],
                "audio": {"id": "a1", "data": "AAAA", "expires_at": 1, "transcript": "t"},
            },
        }
    ],
    "usage": {
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "total_tokens": 15,
        "cost": 0.0012,
        "is_byok": False,
        "cost_details": {
            "upstream_inference_prompt_cost": 0.001,
            "upstream_inference_completions_cost": 0.0002,
            "upstream_inference_cost": 0.0012,
        },
        "prompt_tokens_details": {
            "cached_tokens": 2,
            "cache_write_tokens": 0,
            "audio_tokens": 0,
            "video_tokens": 0,
        },
        "completion_tokens_details": {
            "reasoning_tokens": 3,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        "server_tool_use_details": {
            "web_search_requests": 1,
            "tool_calls_requested": 1,
            "tool_calls_executed": 1,
        },
    },
}


def test_response_fields_are_typed() -> None:
    response = ChatResponse.from_dict(RESPONSE).unwrap()
    choice = response.choices[0]
    assert choice.message.content == "Checking."
    assert choice.native_finish_reason == "tool_use"
    assert choice.message.tool_calls is not None
    assert choice.message.tool_calls[0].to_dict()["function"]["name"] == "f"
    assert choice.message.annotations is not None
    assert choice.message.annotations[0].url_citation is not None
    assert response.usage is not None
    assert response.usage.cost_details is not None
    assert response.usage.cost_details.upstream_inference_cost == 0.0012
    assert response.provider == "OpenAI"
    expected = copy.deepcopy(RESPONSE)
    del expected["choices"][0]["logprobs"], expected["choices"][0]["message"]["refusal"]
    assert response.to_dict() == expected


def test_unknown_fields_round_trip_at_every_depth() -> None:
    data = copy.deepcopy(RESPONSE)
    data["x_top"] = {"nested": [1, None, "a"]}
    data["choices"][0]["x_choice"] = 1
    data["choices"][0]["message"]["x_message"] = True
    data["choices"][0]["message"]["tool_calls"][0]["function"]["x_fn"] = "v"
    data["choices"][0]["message"]["reasoning_details"][0]["x_detail"] = []
    data["usage"]["prompt_tokens_details"]["x_tokens"] = 9
    data["choices"][0]["message"]["extras"] = "a wire key named like the attribute"
    response = ChatResponse.from_dict(data).unwrap()
    assert response.extras == {"x_top": {"nested": [1, None, "a"]}}
    assert response.choices[0].message.extras == {
        "x_message": True,
        "extras": "a wire key named like the attribute",
    }
    out = response.to_dict()
    data["choices"][0].pop("logprobs")
    data["choices"][0]["message"].pop("refusal")
    assert out == data


def test_unknown_enum_values_and_variants_round_trip() -> None:
    data = copy.deepcopy(RESPONSE)
    choice = data["choices"][0]
    del choice["logprobs"], choice["message"]["refusal"]
    choice["finish_reason"] = "brand_new_reason"
    choice["message"]["reasoning_details"] = [
        {"type": "reasoning.hologram", "id": "h1", "payload": {"k": [1, 2]}},
        {"type": "reasoning.text", "text": "t", "format": "future-format-v9"},
    ]
    choice["message"]["annotations"] = [{"type": "file_citation", "file_id": "f1"}]
    choice["message"]["content"] = [
        {"type": "text", "text": "a"},
        {"type": "3d_model", "mesh": "..."},
    ]
    response = ChatResponse.from_dict(data).unwrap()
    message = response.choices[0].message
    assert response.choices[0].finish_reason == "brand_new_reason"
    assert message.reasoning_details is not None
    unknown = message.reasoning_details[0]
    assert isinstance(unknown, ReasoningDetailUnknown)
    assert (unknown.type, unknown.id, unknown.extras) == (
        "reasoning.hologram",
        "h1",
        {"payload": {"k": [1, 2]}},
    )
    assert isinstance(message.content, list)
    assert isinstance(message.content[1], ChatContentUnknown)
    assert message.annotations is not None
    assert message.annotations[0].extras == {"file_id": "f1"}
    assert response.to_dict() == data


def test_optional_response_fields_may_be_absent() -> None:
    data = {
        "id": "g",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "x"}, "finish_reason": None}
        ],
    }
    response = ChatResponse.from_dict(data).unwrap()
    assert response.system_fingerprint is None
    assert response.usage is None
    assert response.to_dict() == {**data, "system_fingerprint": None}


def test_a_field_of_an_unexpected_type_is_kept_raw() -> None:
    data = copy.deepcopy(RESPONSE)
    data["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = {"a": 1}
    data["usage"]["prompt_tokens"] = "12"
    response = ChatResponse.from_dict(data).unwrap()
    tool_calls = response.choices[0].message.tool_calls
    assert tool_calls is not None
    function = tool_calls[0].function
    assert function is not None
    assert function.arguments is None
    assert function.extras == {"arguments": {"a": 1}}
    assert response.usage is not None
    assert response.usage.prompt_tokens is None
    assert response.usage.extras == {"prompt_tokens": "12"}
    # Kept raw, the value comes back out where it was.
    assert response.to_dict()["choices"][0]["message"]["tool_calls"][0]["function"] == {
        **data["choices"][0]["message"]["tool_calls"][0]["function"]
    }
    assert response.received_json == data


def test_a_tool_call_without_arguments_is_read() -> None:
    data = copy.deepcopy(RESPONSE)
    del data["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    response = ChatResponse.from_dict(data).unwrap()
    tool_calls = response.choices[0].message.tool_calls
    assert tool_calls is not None
    assert tool_calls[0].function is not None
    assert tool_calls[0].function.arguments is None
    assert (
        tool_calls[0].function.name
        == data["choices"][0]["message"]["tool_calls"][0]["function"]["name"]
    )


def test_cost_details_with_only_the_total_is_read() -> None:
    data = copy.deepcopy(RESPONSE)
    data["usage"]["cost_details"] = {"upstream_inference_cost": None}
    response = ChatResponse.from_dict(data).unwrap()
    assert response.usage is not None
    assert response.usage.cost_details is not None
    assert response.usage.cost_details.upstream_inference_prompt_cost is None


def test_only_choices_is_needed_by_a_completion() -> None:
    assert ChatResponse.from_dict({"choices": []}).unwrap().choices == []
    for data, problem in (({}, "required field missing"), ({"choices": 5}, "expected array")):
        result = ChatResponse.from_dict(data)
        assert isinstance(result, Failure)
        assert result.failure().path == "choices"
        assert problem in result.failure().problem


def test_bad_response_is_a_failure_with_a_path() -> None:
    data = copy.deepcopy(RESPONSE)
    data["choices"][0] = "not a choice"
    result = ChatResponse.from_dict(data)
    assert isinstance(result, Failure)
    error = result.failure()
    assert isinstance(error, ResponseValidationError)
    assert error.path == "choices[0]"
    assert error.problem == "expected object, got string"
    assert error.message == f"{error.path}: {error.problem}"
    assert error.status_code is None
    assert error.body == ""


CHUNKS: list[dict[str, Any]] = [
    {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "provider": "X",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "He"}, "finish_reason": None}
        ],
    },
    {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "f", "arguments": ""},
                        },
                        {"index": 0, "function": {"arguments": '{"a"'}},
                    ],
                    "reasoning_details": [{"type": "reasoning.text", "text": "hm"}],
                    "images": [{"image_url": {"url": "data:,"}}],
                    "annotations": [{"type": "url_citation", "url_citation": {"url": "u"}}],
                    "audio": {"data": "AA"},
                    "reasoning": "r",
                    "refusal": "no",
                },
                "finish_reason": None,
                "native_finish_reason": None,
            }
        ],
    },
    {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "delta": {}, "finish_reason": "stop", "native_finish_reason": "end_turn"}
        ],
    },
    {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cost": 0.1},
    },
    {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}],
        "error": {
            "code": 502,
            "message": "Provider disconnected",
            "metadata": {"error_type": "provider_unavailable", "provider_code": "x"},
        },
    },
    {
        "id": "g",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "error": {"code": "server_error", "message": "boom", "metadata": None},
    },
]


@pytest.mark.parametrize("index", range(len(CHUNKS)))
def test_stream_chunks_round_trip(index: int) -> None:
    from tests.spec_helpers import drop_nulls

    data = CHUNKS[index]
    chunk = ChatStreamChunk.from_dict(data).unwrap()
    assert drop_nulls(chunk.to_dict()) == drop_nulls(data)


def test_stream_chunk_fields() -> None:
    chunk = ChatStreamChunk.from_dict(CHUNKS[1]).unwrap()
    calls = chunk.choices[0].delta.tool_calls
    assert calls is not None
    assert [c.index for c in calls] == [0, 0]
    assert calls[1].id is None
    assert calls[1].function is not None
    assert calls[1].function.arguments == '{"a"'
    error_chunk = ChatStreamChunk.from_dict(CHUNKS[5]).unwrap()
    assert error_chunk.error is not None
    assert error_chunk.error.code == "server_error"


# --- error bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [429, "rate_limited", 0])
def test_error_bodies_with_int_and_string_codes(code: int | str) -> None:
    data = {
        "error": {
            "code": code,
            "message": "Slow down",
            "metadata": {"provider_name": "OpenAI", "raw": "{...}"},
        },
        "user_id": "u1",
        "openrouter_metadata": {"pipeline": []},
    }
    body = ErrorResponse.from_dict(data).unwrap()
    assert body.error.code == code
    assert type(body.error.code) is type(code)
    assert body.error.metadata == {"provider_name": "OpenAI", "raw": "{...}"}
    assert body.to_dict() == data


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"error": "boom"}, "error"),
        ({}, "error"),
        ("<html>502</html>", ""),
    ],
)
def test_bad_error_bodies_are_failures(data: Any, path: str) -> None:
    result = ErrorResponse.from_dict(data)
    assert isinstance(result, Failure)
    assert result.failure().path == path


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        ({"code": 1.5, "message": "m"}, {"code": 1.5}),
        ({"code": True, "message": "m"}, {"code": True}),
        ({"code": 400}, {}),
    ],
)
def test_odd_error_fields_are_kept_raw(error: dict[str, Any], kept: dict[str, Any]) -> None:
    body = ErrorResponse.from_dict({"error": error}).unwrap()
    assert body.error.extras == kept
    assert body.error.to_dict() == error
    assert body.received_json == {"error": error}


# --- robustness and the converter --------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "choices", "messages", "role", "content", "type", "error", "x"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON)
def test_from_dict_never_raises(data: Any) -> None:
    for model in (ChatGenerationParams, ChatResponse, ChatStreamChunk, ErrorResponse):
        result = model.from_dict(data)
        assert isinstance(result, Success | Failure)


def test_deeply_nested_input_is_a_failure_not_a_crash() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    assert isinstance(ChatGenerationParams.from_dict(_with(stop=deep)), Failure)


def test_converter_is_built_once() -> None:
    assert get_converter() is get_converter()


def test_core_does_not_import_models() -> None:
    code = (
        "import sys, openrouter_core, openrouter_core.core; "
        "print(any(m.startswith('openrouter_core.models') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_models_does_not_build_the_converter() -> None:
    code = (
        "import sys, openrouter_core.models\n"
        "from openrouter_core.models import _converter\n"
        "print(_converter.get_converter.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
