"""Per-call options, declared once for every operation, and their checks.

Every operation takes ``**options: Unpack[CallOptions]``. An option that is not given (or given
as ``NOT_GIVEN``) inherits the core's setting; ``None`` turns the setting off for this call
(no timeout, no retries, no watchdog). A bad value is a ``Failure(InvalidRequestError)`` naming
the option, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypedDict, final

import attrs

# TimeoutLike at run time too: ``typing.get_type_hints`` resolves CallOptions (and every
# operation's arguments TypedDict built on it) in this module.
from openrouter_core._client import TimeoutLike
from openrouter_core._shared_methods import shown
from openrouter_core.core import RetryConfig, TimeoutTuple, is_timeout, timeout_tuple

if TYPE_CHECKING:
    from openrouter_core.core import OpenRouterCore

__all__ = ["NOT_GIVEN", "OPTION_NAMES", "CallOptions", "NotGiven", "Resolved", "resolve"]


@final
class NotGiven:
    """The type of :data:`NOT_GIVEN`: "inherit the core's setting", as opposed to ``None``."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


#: Passed for an option, the same as leaving it out: the core's setting applies.
NOT_GIVEN: Final = NotGiven()


class CallOptions(TypedDict, total=False):
    """The per-call options every operation accepts as keyword arguments."""

    #: Seconds or a Timeout (httpx or httpx2) for this call; ``None``: no timeout at all.
    timeout: float | TimeoutLike | NotGiven | None
    #: A ``RetryConfig`` or a number of retries; ``None`` or ``0``: no retries.
    retries: RetryConfig | int | NotGiven | None
    #: Headers added to (or replacing) the core's for this call.
    extra_headers: Mapping[str, str] | None
    #: Query parameters added to the URL.
    extra_query: Mapping[str, Any] | None
    #: Fields merged into the JSON body (operations with a JSON body only).
    extra_body: Mapping[str, Any] | None
    #: Seconds from the request to a stream's first content; ``None``: no limit.
    first_content_timeout: float | NotGiven | None
    #: Longest gap in seconds between two content chunks of a stream; ``None``: no limit.
    chunk_gap_timeout: float | NotGiven | None


#: The names of the per-call options.
OPTION_NAMES: Final = frozenset(CallOptions.__annotations__)

#: No timeout at all, as a tuple both httpx and httpx2 understand.
_NO_TIMEOUT: TimeoutTuple = (None, None, None, None)


@attrs.frozen
class Resolved:
    """The options of one call after checking, with the core's settings filled in."""

    timeout: TimeoutTuple | None
    retry: RetryConfig
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    extra_body: Mapping[str, Any]
    first_content_timeout: float | None
    chunk_gap_timeout: float | None


def _seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value > 0
        and math.isfinite(value)
    )


def _check_headers(extra: object) -> str | None:
    if not isinstance(extra, Mapping):
        return f"must be a mapping of str to str, not {type(extra).__name__}"
    for key, value in extra.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return f"must map str to str; got {shown(key)}: {type(value).__name__}"
        if not (key.isascii() and value.isascii()) or "\n" in value or "\r" in value:
            return f"[{key!r}] must be ASCII without line breaks"
    return None


_QUERY_SCALARS = (str, int, float, bool)


def _check_query(extra: object) -> str | None:
    if not isinstance(extra, Mapping):
        return f"must be a mapping, not {type(extra).__name__}"
    for key, value in extra.items():
        if not isinstance(key, str):
            return f"keys must be str; got {shown(key)}"
        values = value if isinstance(value, (list, tuple)) else [value]
        if not all(v is None or isinstance(v, _QUERY_SCALARS) for v in values):
            return f"[{key!r}] must be a string, number, boolean, None or a list of them"
    return None


def resolve(core: OpenRouterCore, options: Mapping[str, Any]) -> Resolved | tuple[str, str]:
    """The checked options, or ``(option, problem)`` for the first bad one. Pure."""
    unknown = sorted(set(options) - OPTION_NAMES)
    if unknown:
        return unknown[0], f"unknown option (known: {', '.join(sorted(OPTION_NAMES))})"
    timeout = options.get("timeout", NOT_GIVEN)
    if timeout is NOT_GIVEN:
        wire_timeout = None if core.timeout is None else timeout_tuple(core.timeout)
    elif timeout is None:
        wire_timeout = _NO_TIMEOUT
    elif (isinstance(timeout, (int, float)) and not _seconds(timeout)) or not is_timeout(timeout):
        return (
            "timeout",
            f"must be a positive number of seconds, a Timeout or None, not {shown(timeout)}",
        )
    else:
        wire_timeout = timeout_tuple(timeout)

    retries = options.get("retries", NOT_GIVEN)
    if retries is NOT_GIVEN:
        retry = core.retry_config
    elif retries is None:
        retry = RetryConfig.disabled()
    elif isinstance(retries, RetryConfig):
        retry = retries
    elif isinstance(retries, int) and not isinstance(retries, bool) and retries >= 0:
        retry = attrs.evolve(core.retry_config, max_retries=retries)
    else:
        return "retries", f"must be a RetryConfig, a count >= 0 or None, not {shown(retries)}"

    watchdogs: dict[str, float | None] = {}
    for name in ("first_content_timeout", "chunk_gap_timeout"):
        value = options.get(name, NOT_GIVEN)
        if value is NOT_GIVEN:
            watchdogs[name] = getattr(core, name)
        elif value is None or _seconds(value):
            watchdogs[name] = value
        else:
            return name, f"must be a positive number of seconds or None, not {shown(value)}"

    headers = options.get("extra_headers") or {}
    problem = _check_headers(headers) if headers else None
    if problem is not None:
        return "extra_headers", problem
    query = options.get("extra_query") or {}
    problem = _check_query(query) if query else None
    if problem is not None:
        return "extra_query", problem
    body = options.get("extra_body") or {}
    if body and (not isinstance(body, Mapping) or not all(isinstance(k, str) for k in body)):
        return "extra_body", "must be a mapping with str keys"
    return Resolved(
        timeout=wire_timeout,
        retry=retry,
        extra_headers=headers,
        extra_query=query,
        extra_body=body,
        first_content_timeout=watchdogs["first_content_timeout"],
        chunk_gap_timeout=watchdogs["chunk_gap_timeout"],
    )
