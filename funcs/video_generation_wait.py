"""``video_generation_wait``: poll a video generation job until it ends.

``video_generation_generate`` answers 202 with a job; this asks ``GET /videos/{jobId}``
(``video_generation_get_generation``) with a growing interval until the job is ``completed``
(``Success(job)``, whose ``unsigned_urls`` point at the video, which
``video_generation_get_video_content`` downloads), ends otherwise (``Failure(JobFailedError)``),
or the wait passes ``max_wait`` seconds (``Failure(JobTimeoutError)``). A poll that fails is
the Failure (after its own retries).
"""

from __future__ import annotations

import time
from typing import Unpack

from returns.result import Failure, Result

# A stand-in that imports the module on first use (a call, typing.get_type_hints).
from funcs._aliases import models_video_generation as _models
from funcs.video_generation_get_generation import (
    video_generation_get_generation,
    video_generation_get_generation_async,
)
from openrouter_core._machinery.options import CallOptions
from openrouter_core.core import OpenRouterCore
from openrouter_core.errors import InvalidRequestError, OpenRouterCoreError
from openrouter_core.video.poll import Poller, poller

__all__ = ["Poller", "video_generation_wait", "video_generation_wait_async"]


def _invalid(problem: str) -> Failure[InvalidRequestError]:
    path = problem.split(" ", 1)[0]
    return Failure(InvalidRequestError(message=f"{path}: {problem}", path=path, problem=problem))


def video_generation_wait(
    core: OpenRouterCore,
    *,
    job_id: str,
    max_wait: float = 600.0,
    interval: float = 2.0,
    max_interval: float = 15.0,
    **options: Unpack[CallOptions],
) -> Result[_models.VideoGenerationResponse, OpenRouterCoreError]:
    """Poll job ``job_id`` until it ends or ``max_wait`` seconds pass.

    The first poll is at once; then every ``interval`` seconds, growing by half each time up to
    ``max_interval``. ``options`` apply to each poll.
    """
    schedule = poller(job_id, max_wait, interval, max_interval)
    if isinstance(schedule, str):
        return _invalid(schedule)
    while True:
        answer = video_generation_get_generation(core, job_id=job_id, **options)
        outcome = schedule.after(answer, time.monotonic())
        if not isinstance(outcome, float):
            return outcome
        time.sleep(outcome)


async def video_generation_wait_async(
    core: OpenRouterCore,
    *,
    job_id: str,
    max_wait: float = 600.0,
    interval: float = 2.0,
    max_interval: float = 15.0,
    **options: Unpack[CallOptions],
) -> Result[_models.VideoGenerationResponse, OpenRouterCoreError]:
    """The async twin of ``video_generation_wait``."""
    import asyncio

    schedule = poller(job_id, max_wait, interval, max_interval)
    if isinstance(schedule, str):
        return _invalid(schedule)
    while True:
        answer = await video_generation_get_generation_async(core, job_id=job_id, **options)
        outcome = schedule.after(answer, time.monotonic())
        if not isinstance(outcome, float):
            return outcome
        await asyncio.sleep(outcome)
