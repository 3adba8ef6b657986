"""Waiting for a video job: polls with growing intervals until the job ends, sync and async; a
failed job and a passed deadline are Failures; a poll that fails ends the wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from funcs.video_generation_wait import Poller, video_generation_wait, video_generation_wait_async
from openrouter_core import (
    APIError,
    InvalidRequestError,
    JobFailedError,
    JobTimeoutError,
    OpenRouterCore,
    RetryConfig,
)
from tests.loopback import LoopbackServer, json_response


def job(status: str, **fields: Any) -> Any:
    return json_response(200, {"id": "job-1", "status": status, **fields})


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer(default=job("in_progress")) as srv:
        yield srv


@pytest.fixture
def core(server: LoopbackServer) -> Iterator[OpenRouterCore]:
    with OpenRouterCore(
        api_key="k", server_url=server.base_url, retry_config=RetryConfig.disabled()
    ) as c:
        yield c


def _wait(core: OpenRouterCore, mode: str, **kwargs: Any) -> Any:
    if mode == "sync":
        return video_generation_wait(core, job_id="job-1", **kwargs)
    return asyncio.run(video_generation_wait_async(core, job_id="job-1", **kwargs))


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_polls_until_completed(server: LoopbackServer, core: OpenRouterCore, mode: str) -> None:
    done = job("completed", unsigned_urls=["https://cdn.example/v.mp4"])
    server.script(job("pending"), job("in_progress"), done)
    result = _wait(core, mode, interval=0.01)
    assert result.unwrap().unsigned_urls == ["https://cdn.example/v.mp4"]
    assert [r.path for r in server.requests] == ["/api/v1/videos/job-1"] * 3


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failed_job_is_a_failure(server: LoopbackServer, core: OpenRouterCore, mode: str) -> None:
    server.script(job("in_progress"), job("failed", error="content policy"))
    error = _wait(core, mode, interval=0.01).failure()
    assert isinstance(error, JobFailedError)
    assert (error.status, error.polls, error.job_id) == ("failed", 2, "job-1")
    assert "content policy" in error.message


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_wait_gives_up_at_its_deadline(
    server: LoopbackServer, core: OpenRouterCore, mode: str
) -> None:
    started = time.monotonic()
    error = _wait(core, mode, max_wait=0.3, interval=0.05).failure()
    elapsed = time.monotonic() - started
    assert isinstance(error, JobTimeoutError)
    assert error.status == "in_progress"
    assert 0.3 <= elapsed < 3
    assert 2 <= error.polls == len(server.requests)


def test_a_failing_poll_ends_the_wait(server: LoopbackServer, core: OpenRouterCore) -> None:
    server.script(json_response(404, {"error": {"code": 404, "message": "no such job"}}))
    error = video_generation_wait(core, job_id="job-1").failure()
    assert isinstance(error, APIError)
    assert error.status_code == 404


@pytest.mark.parametrize("name", ["max_wait", "interval", "max_interval"])
def test_bad_settings_are_failures(core: OpenRouterCore, name: str) -> None:
    settings: dict[str, Any] = {name: -1}
    error = video_generation_wait(core, job_id="job-1", **settings).failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == name


def test_the_schedule_grows_and_stops_at_the_deadline() -> None:
    from returns.result import Success

    class Job:
        status = "in_progress"
        error = None

    poller = Poller("j", deadline=10.0, interval=1.0, max_interval=3.0)
    delays = [poller.after(Success(Job()), now=0.0) for _ in range(5)]
    assert delays == [1.0, 1.5, 2.25, 3.0, 3.0]
    assert poller.after(Success(Job()), now=9.5) == 0.5
    late = poller.after(Success(Job()), now=10.0)
    assert not isinstance(late, float)
    assert isinstance(late.failure(), JobTimeoutError)
