"""The retry policy is pure: no clock, no sleeping."""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given, strategies as st

from openrouter_core import RetryConfig
from openrouter_core._machinery.retry import (
    RETRYABLE_STATUSES,
    backoff_delay,
    is_retryable_status,
    next_delay,
    parse_retry_after,
)

NOW = 1_800_000_000.0


def getter(headers: dict[str, str]):  # type: ignore[no-untyped-def]
    lowered = {k.lower(): v for k, v in headers.items()}
    return lambda name: lowered.get(name.lower())


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status, None)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 413, 422])
def test_final_4xx_not_retryable(status: int) -> None:
    assert not is_retryable_status(status, None)
    assert not is_retryable_status(status, status)


@pytest.mark.parametrize("code", [429, 502, "503", 524, "529"])
def test_400_wrapping_a_transient_code_is_retryable(code: int | str) -> None:
    assert is_retryable_status(400, code)


@pytest.mark.parametrize("code", [400, "invalid_request", "", True, 401])
def test_400_with_other_code_is_final(code: int | str) -> None:
    assert not is_retryable_status(400, code)


def test_retry_after_seconds_and_ms() -> None:
    assert parse_retry_after(getter({"Retry-After": "3"}), NOW) == 3.0
    assert parse_retry_after(getter({"Retry-After": "1.5"}), NOW) == 1.5
    # retry-after-ms wins over Retry-After.
    assert parse_retry_after(getter({"retry-after-ms": "250", "Retry-After": "9"}), NOW) == 0.25


def test_retry_after_http_date() -> None:
    date = email.utils.formatdate(NOW + 7, usegmt=True)
    assert parse_retry_after(getter({"Retry-After": date}), NOW) == pytest.approx(7.0)
    past = email.utils.formatdate(NOW - 100, usegmt=True)
    assert parse_retry_after(getter({"Retry-After": past}), NOW) == 0.0


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf", ""])
def test_retry_after_garbage_is_ignored(value: str) -> None:
    assert parse_retry_after(getter({"Retry-After": value}), NOW) is None
    assert parse_retry_after(getter({"retry-after-ms": value}), NOW) is None


def test_backoff_grows_and_is_capped() -> None:
    config = RetryConfig(initial_delay=0.5, multiplier=2.0, max_delay=3.0, jitter=False)
    assert [backoff_delay(config, i, 0.0) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@given(st.integers(0, 200), st.floats(0.0, 0.999999))
def test_jittered_backoff_stays_in_upper_half(index: int, rand: float) -> None:
    config = RetryConfig(initial_delay=0.5, multiplier=2.0, max_delay=8.0)
    full = min(8.0, 0.5 * 2.0 ** min(index, 64))
    delay = backoff_delay(config, index, rand)
    assert full / 2 <= delay <= full


def test_max_retries_bounds_the_schedule() -> None:
    config = RetryConfig(max_retries=2, jitter=False)
    delays = [
        next_delay(config, retries_done=i, elapsed=0.0, retry_after=None, rand=0.5)
        for i in range(4)
    ]
    assert delays[:2] == [0.5, 1.0]
    assert delays[2:] == [None, None]


def test_disabled_never_retries() -> None:
    config = RetryConfig.disabled()
    assert next_delay(config, retries_done=0, elapsed=0.0, retry_after=None, rand=0.5) is None


def test_retry_after_is_honoured_then_capped() -> None:
    config = RetryConfig(retry_after_cap=60.0)
    assert next_delay(config, retries_done=0, elapsed=0.0, retry_after=12.0, rand=0.0) == 12.0
    assert next_delay(config, retries_done=0, elapsed=0.0, retry_after=61.0, rand=0.0) is None


def test_max_elapsed_stops_retries() -> None:
    config = RetryConfig(max_elapsed=10.0, jitter=False, initial_delay=4.0)
    assert next_delay(config, retries_done=0, elapsed=5.0, retry_after=None, rand=0.0) == 4.0
    assert next_delay(config, retries_done=0, elapsed=7.0, retry_after=None, rand=0.0) is None


def test_config_rejects_negative_values() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryConfig(max_retries=-1)
