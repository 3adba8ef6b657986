"""Shortcuts for what people reach for most: one prompt, the key's limits, the credits, what a
generation cost, and a model search. Each prints plain text (``--json`` for the answer's JSON)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from returns.result import Failure

from openrouter_core.cli._main import EXIT_CODES, PROG, UsageError, add_globals
from openrouter_core.cli._output import dumps, emit, emit_lines, progress_line, to_json

if TYPE_CHECKING:
    from openrouter_core.cli._main import Context

__all__ = ["SHORTCUTS", "run_shortcut"]

#: name -> (usage, what it does), for the top-level help.
SHORTCUTS: dict[str, tuple[str, str]] = {
    "chat": ("chat PROMPT -m MODEL", "Send one prompt, print the reply as it streams in"),
    "key": ("key", "The current API key's limits and usage (GET /key)"),
    "credits": ("credits", "The account's credits, usage and what remains"),
    "generation": ("generation ID", "What a generation cost, its tokens and latency"),
    "models": ("models [--search TEXT]", "The models, one line each: id, context, prices"),
}


def _parser(
    name: str, description: str, json_help: str = "print the answer's JSON instead of text"
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} {name}",
        description=description,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help=json_help)
    return parser


def _lines(context: Context, pairs: list[tuple[str, Any]]) -> int:
    """``label: value`` lines, aligned, skipping values the answer did not hold."""
    shown = [(label, value) for label, value in pairs if value not in (None, "")]
    width = max((len(label) for label, _ in shown), default=0) + 1
    emit(context, "\n".join(f"{label + ':':<{width}} {value}" for label, value in shown))
    return 0


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:g}" if isinstance(value, int | float) else str(value)


def _data(value: Any) -> dict[str, Any]:
    data = to_json(value).get("data")
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- chat


def _chat_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "chat",
        "Send one prompt to a model and print the reply, streamed as it arrives. The prompt is "
        "read from stdin when it is - or left out. For every field of the request, use "
        f"{PROG} chat_send --params.",
        json_help="print the whole response's JSON (asked without streaming)",
    )
    parser.add_argument("prompt", nargs="?", help="the user message (default: stdin)")
    parser.add_argument("-m", "--model", help="the model, e.g. openai/gpt-4o-mini")
    parser.add_argument("-s", "--system", help="a system message before the prompt")
    parser.add_argument(
        "--no-stream", action="store_true", help="wait for the whole reply, then print it"
    )
    return parser


def _chat_text(message_or_delta: Any) -> str:
    content = message_or_delta.get("content") if isinstance(message_or_delta, dict) else None
    return content if isinstance(content, str) else ""


def _chat(context: Context, args: argparse.Namespace) -> int:
    from funcs.chat_send import chat_send

    prompt = args.prompt
    if prompt is None or prompt == "-":
        prompt = context.stdin.read() if context.stdin is not None else ""
    if not prompt.strip():
        raise UsageError("chat needs a prompt: chat 'PROMPT', or the prompt on stdin")
    messages = [{"role": "system", "content": args.system}] if args.system else []
    messages.append({"role": "user", "content": prompt})
    params: dict[str, Any] = {"messages": messages}
    if args.model:
        params["model"] = args.model
    stream = not (args.no_stream or args.json)
    with progress_line(context):
        result = chat_send(context.core, params, stream=stream)
    if isinstance(result, Failure):
        return context.fail(result.failure())
    if not stream:
        response = result.unwrap()
        if args.json:
            emit(context, dumps(to_json(response), pretty=context.pretty))
            return 0
        choices = to_json(response).get("choices") or [{}]
        emit(context, _chat_text(choices[0].get("message")))
        return 0
    out = context.stdout
    ended_with_newline = True
    chunks: Any = result.unwrap()
    with chunks:
        for item in chunks:
            if isinstance(item, Failure):
                if not ended_with_newline:
                    out.write("\n")
                    out.flush()
                return context.fail(item.failure())
            for choice in to_json(item.unwrap()).get("choices") or ():
                text = _chat_text(choice.get("delta")) if choice.get("index", 0) == 0 else ""
                if text:
                    out.write(text)
                    out.flush()
                    ended_with_newline = text.endswith("\n")
    if not ended_with_newline:
        out.write("\n")
        out.flush()
    return 0


# --------------------------------------------------------------------------- key, credits


def _failed_or_whole(context: Context, args: argparse.Namespace, result: Any) -> int | None:
    """The exit code once ``result`` is told: a Failure on stderr, or with ``--json`` the whole
    answer on stdout; None when the shortcut goes on to print its own lines."""
    if isinstance(result, Failure):
        return context.fail(result.failure())
    if args.json:
        emit(context, dumps(to_json(result.unwrap()), pretty=context.pretty))
        return 0
    return None


def _key(context: Context, args: argparse.Namespace) -> int:
    from funcs.api_keys_get_current_key_metadata import api_keys_get_current_key_metadata

    with progress_line(context):
        result = api_keys_get_current_key_metadata(context.core)
    if (code := _failed_or_whole(context, args, result)) is not None:
        return code
    data = _data(result.unwrap())
    limit = _money(data.get("limit"))
    if limit is not None and data.get("limit_reset"):
        limit = f"{limit} (resets {data['limit_reset']})"
    rate = data.get("rate_limit")
    rate_text = (
        f"{rate.get('requests')} requests per {rate.get('interval')}"
        if isinstance(rate, dict) and rate.get("requests") is not None
        else None
    )
    return _lines(
        context,
        [
            ("label", data.get("label")),
            ("limit", limit if limit is not None else "none"),
            ("limit remaining", _money(data.get("limit_remaining"))),
            ("usage", _money(data.get("usage"))),
            ("usage today", _money(data.get("usage_daily"))),
            ("usage this week", _money(data.get("usage_weekly"))),
            ("usage this month", _money(data.get("usage_monthly"))),
            ("free tier", _yes(data.get("is_free_tier"))),
            ("management key", _yes(data.get("is_management_key"))),
            ("rate limit", rate_text),
            ("expires", data.get("expires_at")),
        ],
    )


def _yes(value: Any) -> str | None:
    return None if value is None else "yes" if value else "no"


def _credits(context: Context, args: argparse.Namespace) -> int:
    from funcs.credits_get_credits import credits_get_credits

    with progress_line(context):
        result = credits_get_credits(context.core)
    if (code := _failed_or_whole(context, args, result)) is not None:
        return code
    data = _data(result.unwrap())
    total, used = data.get("total_credits"), data.get("total_usage")
    remaining = None
    if isinstance(total, int | float) and isinstance(used, int | float):
        remaining = round(total - used, 10)  # no float noise such as 7.499999999
    return _lines(
        context,
        [
            ("total credits", _money(total)),
            ("total usage", _money(used)),
            ("remaining", _money(remaining)),
        ],
    )


# --------------------------------------------------------------------------- generation


def _generation_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "generation",
        "What a generation cost: model, provider, cost, tokens and latency. OpenRouter answers "
        "404 for a short while after a generation ends: that 404 is retried for up to --wait "
        "seconds.",
    )
    parser.add_argument("id", help="the generation id (a chat response's id)")
    parser.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a 404 is retried (default 10; 0: not at all)",
    )
    return parser


def _generation(context: Context, args: argparse.Namespace) -> int:
    from funcs.generations_get_generation import generations_get_generation

    with progress_line(context):
        result = generations_get_generation(
            context.core, id=args.id, retry_not_found_for=args.wait or None
        )
    if (code := _failed_or_whole(context, args, result)) is not None:
        return code
    data = _data(result.unwrap())
    model = data.get("model")
    if model and data.get("provider_name"):
        model = f"{model} (provider {data['provider_name']})"
    tokens = None
    if data.get("tokens_prompt") is not None or data.get("tokens_completion") is not None:
        tokens = f"{data.get('tokens_prompt')} prompt, {data.get('tokens_completion')} completion"
        if data.get("native_tokens_reasoning"):
            tokens += f", {data['native_tokens_reasoning']} reasoning (native)"
    latency = data.get("latency")
    return _lines(
        context,
        [
            ("id", data.get("id")),
            ("model", model),
            ("cost", _money(data.get("total_cost"))),
            ("tokens", tokens),
            ("latency", f"{latency} ms" if latency is not None else None),
            ("finish reason", data.get("finish_reason")),
            ("created", data.get("created_at")),
        ],
    )


# --------------------------------------------------------------------------- models


def _models_parser() -> argparse.ArgumentParser:
    parser = _parser(
        "models",
        "The models, one line each (tab-separated): id, context length, prompt and completion "
        "price in credits per million tokens, name. --json: one JSON line per model.",
    )
    parser.add_argument(
        "--search", metavar="TEXT", help="only models whose id or name holds TEXT (any case)"
    )
    parser.add_argument("--category", help="only models of this category (e.g. programming)")
    return parser


def _per_million(price: Any) -> str:
    try:
        return f"{float(price) * 1_000_000:.4g}"
    except (TypeError, ValueError):
        return "?"


def _models(context: Context, args: argparse.Namespace) -> int:
    from funcs.models_list import models_list

    arguments = {"category": args.category} if args.category else {}
    with progress_line(context):
        result = models_list(context.core, **arguments)
    if isinstance(result, Failure):
        return context.fail(result.failure())
    items = to_json(result.unwrap()).get("data") or []
    needle = (args.search or "").casefold()
    found = [
        item
        for item in items
        if isinstance(item, dict)
        and needle in f"{item.get('id', '')}\n{item.get('name', '')}".casefold()
    ]
    if args.json:
        from returns.result import Success

        return emit_lines(context, iter([Success(item) for item in found]))
    lines = []
    for item in found:
        pricing = item.get("pricing")
        if not isinstance(pricing, dict):
            pricing = {}
        lines.append(
            "\t".join(
                (
                    str(item.get("id", "")),
                    str(item.get("context_length", "")),
                    _per_million(pricing.get("prompt")),
                    _per_million(pricing.get("completion")),
                    str(item.get("name", "")),
                )
            )
        )
    if lines:
        emit(context, "\n".join(lines))
    return 0


def _simple(name: str, description: str) -> Callable[[], argparse.ArgumentParser]:
    return lambda: _parser(name, description)


_RUNS: dict[str, tuple[Callable[[], argparse.ArgumentParser], Callable[..., int]]] = {
    "chat": (_chat_parser, _chat),
    "key": (
        _simple("key", "The current API key's label, limit, usage and rate limit (GET /key)."),
        _key,
    ),
    "credits": (
        _simple("credits", "The account's total credits, total usage and what remains."),
        _credits,
    ),
    "generation": (_generation_parser, _generation),
    "models": (_models_parser, _models),
}


def run_shortcut(context: Context, name: str, argv: list[str]) -> int:
    """Parse the shortcut's options and run it; the exit code."""
    build, run = _RUNS[name]
    parser = build()
    add_globals(parser)
    args = parser.parse_args(argv, namespace=argparse.Namespace(**vars(context.args)))
    context.args = args
    return run(context, args)
