"""Video generation's job polling, pure: the schedule and the outcome of each answer. The
drivers that ask and sleep are ``funcs.video_generation_wait`` (sync and async)."""

from __future__ import annotations

import math
import time
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from openrouter_core._shared_methods import shown
from openrouter_core.errors import JobFailedError, JobTimeoutError, OpenRouterCoreError

__all__ = ["DONE", "FAILED", "Poller", "poller"]

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


def poller(job_id: str, max_wait: float, interval: float, max_interval: float) -> Poller | str:
    """A poller for ``job_id``, or the problem with one of the numbers."""
    for name, value in (
        ("max_wait", max_wait),
        ("interval", interval),
        ("max_interval", max_interval),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            return f"{name} must be a positive number of seconds, not {shown(value)}"
    return Poller(job_id, time.monotonic() + max_wait, interval, max(interval, max_interval))
