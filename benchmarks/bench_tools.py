"""Figure: the tool loop's own cost per turn, against the same loop written by hand on chat_send.

Both variants run the same conversation: ``TURNS`` turns, each answered with one call of a small
tool, the tool run, its result appended, the next request sent. The hand-written loop calls
``chat_send`` and does the rest with ``json.loads`` and dicts; ``call_model`` does it with its
schema, argument reading (cattrs), steps and stop condition. Both talk to the in-process fake
(``openrouter_core.testing.FakeOpenRouter``), not a socket: with no network in the way, the
difference per turn is the loop's own overhead. Alternating blocks; the figure is the median of
the per-block times per turn, with the client CPU time per turn beside it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from _common import Config, Row, median, rotated

FIGURE = "tool loop, per turn"
FLOOR = "chat_send, hand-written loop"
OURS = "call_model"
TURNS = 4


def _weather(city: str) -> dict[str, object]:
    """The current weather in a city."""
    return {"city": city, "celsius": 21}


def _setup() -> tuple[Any, dict[str, Any]]:
    from openrouter_core.testing import FakeOpenRouter, tool_call, tool_calls_body

    body = json.dumps(tool_calls_body(tool_call("weather", {"city": "Paris"}))).encode()

    def always_a_call(request: Any) -> Any:
        import httpx2

        return httpx2.Response(200, headers=[("content-type", "application/json")], content=body)

    fake = FakeOpenRouter(default=always_a_call)
    params = {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Paris?"}]}
    return fake.core(), params


def _by_hand(core: Any, params: dict[str, Any], definition: dict[str, Any]) -> None:
    from funcs.chat_send import chat_send

    messages = list(params["messages"])
    for _ in range(TURNS):
        response = chat_send(
            core, {**params, "messages": messages, "tools": [definition]}, stream=False
        ).unwrap()
        message = response.choices[0].message
        calls = message.tool_calls or []
        messages.append(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.function.name, "arguments": c.function.arguments},
                    }
                    for c in calls
                    if c.function is not None
                ],
            }
        )
        for c in calls:
            assert c.function is not None
            args = json.loads(c.function.arguments or "{}")
            content = json.dumps(_weather(**args))
            messages.append({"role": "tool", "tool_call_id": c.id, "content": content})


def run_tools(cfg: Config) -> list[Row]:
    from openrouter_core.tools import tool

    core, params = _setup()
    definition = tool(_weather, name="weather").definition().unwrap()
    # The tool's name in the fake's answers is "weather": the call_model variant names it so.
    weather = tool(_weather, name="weather")

    def ours() -> None:
        from funcs.call_model import call_model
        from openrouter_core.tools import step_count_is

        result = call_model(core, params, tools=[weather], stop_when=step_count_is(TURNS))
        assert len(result.unwrap().steps) == TURNS

    variants = {FLOOR: lambda: _by_hand(core, params, definition), OURS: ours}
    for run in variants.values():
        for _ in range(max(2, cfg.warmup // 5)):
            run()
    loops = max(5, cfg.calls // (10 * TURNS))
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for rep in range(max(cfg.reps, 3)):
        for name in rotated(list(variants), rep):
            run = variants[name]
            cpu = time.process_time()
            start = time.perf_counter()
            for _ in range(loops):
                run()
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu
            turns = loops * TURNS
            samples[name].append((elapsed * 1e6 / turns, cpu * 1e6 / turns))
    rows = []
    values = {name: median([s[0] for s in got]) for name, got in samples.items()}
    for name, got in samples.items():
        note = ""
        if name == OURS:
            note = f"+{values[OURS] - values[FLOOR]:.1f} µs a turn over chat_send"
        rows.append(
            Row(
                figure=FIGURE,
                variant=name,
                value=values[name],
                unit="µs/turn",
                higher_is_better=False,
                floor=FLOOR,
                note=note,
                cpu_us=median([s[1] for s in got]),
            )
        )
    return rows
