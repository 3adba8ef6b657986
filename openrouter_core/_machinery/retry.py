"""The retry policy as pure functions: which failures are retried and how long to wait."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable

from openrouter_core.core import RetryConfig

#: Statuses worth another attempt (and ``error.code`` values inside a 400 that mean the same).
RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504, 524, 529})


def is_retryable_status(status: int, code: int | str | None) -> bool:
    """True when a response with this status and OpenRouter ``error.code`` should be retried.

    OpenRouter wraps transient upstream failures in a 400 (or a 200 error body) whose ``code``
    names the real status, so the code counts as much as the status.
    """
    if status in RETRYABLE_STATUSES:
        return True
    if status in (200, 400) and code is not None:
        return _code_as_int(code) in RETRYABLE_STATUSES
    return False


def _code_as_int(code: int | str) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    text = code.strip()
    return int(text) if text.isdigit() and len(text) <= 4 else None


def parse_retry_after(get: Callable[[str], str | None], now: float) -> float | None:
    """Seconds the server asked to wait, from ``retry-after-ms`` or ``Retry-After``.

    ``get`` looks a header up case-insensitively; ``now`` is the wall clock (epoch seconds),
    used for the HTTP-date form. Unparseable or negative values give ``None``.
    """
    ms = get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value / 1000.0
    raw = get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def backoff_delay(config: RetryConfig, retry_index: int, rand: float) -> float:
    """The computed delay before retry number ``retry_index`` (0-based), ``rand`` in [0, 1).

    Exponential growth capped at ``max_delay``; with jitter, a uniform draw from the upper half
    of that value, so concurrent clients spread out but no retry comes immediately.
    """
    exponent = min(retry_index, 64)
    base = min(config.max_delay, config.initial_delay * config.multiplier**exponent)
    if not config.jitter:
        return base
    return base / 2.0 + base / 2.0 * rand


def next_delay(
    config: RetryConfig,
    *,
    retries_done: int,
    elapsed: float,
    retry_after: float | None,
    rand: float,
) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` when no retry should happen.

    No retry when ``max_retries`` are used up, when the server's ``Retry-After`` exceeds
    ``retry_after_cap``, or when waiting would pass ``max_elapsed`` since the first attempt.
    """
    if retries_done >= config.max_retries:
        return None
    if retry_after is not None and retry_after > 0:
        if retry_after > config.retry_after_cap:
            return None
        delay = retry_after
    else:
        delay = backoff_delay(config, retries_done, rand)
    if elapsed + delay > config.max_elapsed:
        return None
    return delay
