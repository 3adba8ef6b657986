"""Stop conditions of the tool loop: functions of the steps so far, true when the loop ends.

A condition is any callable taking the steps (oldest first) and returning a bool; the ones here
are attrs classes, so they print and compare by value. ``stop_when=[a, b]`` stops when any holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

import attrs

# At run time too: ``StopCondition`` names it, and typing.get_type_hints resolves it.
from openrouter_core.tools._result import Step

__all__ = [
    "FinishReasonIs",
    "HasToolCall",
    "MaxCost",
    "MaxTokensUsed",
    "StepCountIs",
    "StopCondition",
    "finish_reason_is",
    "has_tool_call",
    "max_cost",
    "max_tokens_used",
    "step_count_is",
]

#: A stop condition: the steps so far in, True to end the loop.
StopCondition: TypeAlias = Callable[[Sequence[Step]], bool]


@attrs.frozen
class StepCountIs:
    """Holds once ``count`` model answers (steps) were received."""

    count: int

    def __call__(self, steps: Sequence[Step]) -> bool:
        return len(steps) >= self.count


@attrs.frozen
class HasToolCall:
    """Holds once the model called the tool ``name`` (in any step)."""

    name: str

    def __call__(self, steps: Sequence[Step]) -> bool:
        return any(call.name == self.name for step in steps for call in step.tool_calls)


@attrs.frozen
class MaxTokensUsed:
    """Holds once the steps' ``usage.total_tokens`` add up to ``tokens`` or more."""

    tokens: int

    def __call__(self, steps: Sequence[Step]) -> bool:
        used = sum((s.response.usage.total_tokens or 0) if s.response.usage else 0 for s in steps)
        return used >= self.tokens


@attrs.frozen
class MaxCost:
    """Holds once the steps' ``usage.cost`` (credits) add up to ``credits`` or more."""

    credits: float

    def __call__(self, steps: Sequence[Step]) -> bool:
        spent = sum((s.response.usage.cost or 0.0) if s.response.usage else 0.0 for s in steps)
        return spent >= self.credits


@attrs.frozen
class FinishReasonIs:
    """Holds when the latest step's ``finish_reason`` is ``reason`` (``"tool_calls"``,
    ``"length"``, ...)."""

    reason: str

    def __call__(self, steps: Sequence[Step]) -> bool:
        return bool(steps) and steps[-1].finish_reason == self.reason


def step_count_is(count: int) -> StepCountIs:
    """Stop after ``count`` steps (model answers); the default is ``step_count_is(5)``."""
    return StepCountIs(count)


def has_tool_call(name: str) -> HasToolCall:
    """Stop once the model called the tool ``name`` (after it ran)."""
    return HasToolCall(name)


def max_tokens_used(tokens: int) -> MaxTokensUsed:
    """Stop once the tokens of every step add up to ``tokens``."""
    return MaxTokensUsed(tokens)


def max_cost(credits: float) -> MaxCost:
    """Stop once the cost of every step (``usage.cost``) adds up to ``credits``."""
    return MaxCost(credits)


def finish_reason_is(reason: str) -> FinishReasonIs:
    """Stop when a step ends with ``finish_reason == reason``."""
    return FinishReasonIs(reason)
