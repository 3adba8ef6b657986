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
from typing import TYPE_CHECKING, Any, Unpack

import attrs
from returns.result import Failure, Result, Success

from funcs.video_generation_get_generation import (
    video_generation_get_generation,
    video_generation_get_generation_async,
)
from openrouter_core._machinery.options import CallOptions
from openrouter_core.core import OpenRouterCore
from openrouter_core.errors import (
    InvalidRequestError,
    JobFailedError,
    JobTimeoutError,
    OpenRouterCoreError,
)

if TYPE_CHECKING:
    from openrouter_core.models import video_generation as _models
else:
    from openrouter_core._machinery.lazy import lazy_module

    # Imported on first use (a call, typing.get_type_hints), not with this module.
    _models = lazy_module("openrouter_core.models.video_generation")

__all__ = ["Poller", "video_generation_wait", "video_generation_wait_async"]

#: Statuses after which a job does not change.
FAILED = frozenset({"failed", "cancelled", "expired"})
DONE = "completed"


@attrs.define
class Poller:
    """The polling schedule, pure: each answer in, the outcome or the seconds to wait out."""

    job_id: str
    deadline: float
    interval: float
    max_interval: float
    polls: int = 0

    def after(
        self, answer: Result[Any, OpenRouterCoreError], now: float
    ) -> Result[Any, OpenRouterCoreError] | float:
        """The wait's Result once the job ended (or a poll failed), else the next delay."""
        self.polls += 1
        if isinstance(answer, Failure):
            return answer
        job = answer.unwrap()
        status = job.status
        if status == DONE:
            return Success(job)
        fields = {"job_id": self.job_id, "status": status, "job": job, "polls": self.polls}
        if status in FAILED:
            reason = job.error or "no reason given"
            return Failure(
                JobFailedError(message=f"job {self.job_id} {status}: {reason}", **fields)
            )
        remaining = self.deadline - now
        if remaining <= 0:
            return Failure(
                JobTimeoutError(
                    message=f"job {self.job_id} still {status or 'unknown'} after {self.polls} "
                    "polls; the wait's deadline passed",
                    **fields,
                )
            )
        delay = float(min(self.interval, remaining))
        self.interval = min(self.interval * 1.5, self.max_interval)
        return delay


def _poller(job_id: str, max_wait: float, interval: float, max_interval: float) -> Poller | str:
    for name, value in (
        ("max_wait", max_wait),
        ("interval", interval),
        ("max_interval", max_interval),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            return f"{name} must be a positive number of seconds, not {value!r}"
    return Poller(job_id, time.monotonic() + max_wait, interval, max(interval, max_interval))


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
    poller = _poller(job_id, max_wait, interval, max_interval)
    if isinstance(poller, str):
        return _invalid(poller)
    while True:
        answer = video_generation_get_generation(core, job_id=job_id, **options)
        outcome = poller.after(answer, time.monotonic())
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

    poller = _poller(job_id, max_wait, interval, max_interval)
    if isinstance(poller, str):
        return _invalid(poller)
    while True:
        answer = await video_generation_get_generation_async(core, job_id=job_id, **options)
        outcome = poller.after(answer, time.monotonic())
        if not isinstance(outcome, float):
            return outcome
        await asyncio.sleep(outcome)
