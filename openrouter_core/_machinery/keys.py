"""A key from a callable (``OpenRouterCore(api_key=get_key)``): asked once per attempt, so a key
can rotate or come from a secret manager. Loaded only by cores that have a key provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from openrouter_core.core import provider_name
from openrouter_core.errors import InvalidRequestError

if TYPE_CHECKING:
    from openrouter_core._machinery.request import Prepared

__all__ = ["ask_sync", "with_key"]


def ask_sync(provider: Any) -> Any:
    """The provider's answer in a sync call: an awaitable is refused (it cannot be awaited)."""
    value = provider()
    if hasattr(value, "__await__"):
        close = getattr(value, "close", None)
        if close is not None:
            close()  # a coroutine never awaited would warn when collected
        raise TypeError(
            "it returned an awaitable: an async key provider works only with async calls "
            "(the _async functions)"
        )
    return value


def _refused(provider: Any, problem: str) -> InvalidRequestError:
    message = f"api_key: the key provider {provider_name(provider)} {problem}"
    return InvalidRequestError(message=message, path="api_key", problem=problem)


def with_key(prepared: Prepared, outcome: Any, provider: Any) -> Prepared | InvalidRequestError:
    """``prepared`` carrying the key the provider gave (``outcome``), or the error that names
    the provider. The key itself is never part of the message."""
    if isinstance(outcome, Exception):
        cause = str(outcome)
        shown = f"{type(outcome).__name__}: {cause}" if cause else type(outcome).__name__
        return _refused(provider, f"failed ({shown})")
    if not isinstance(outcome, str):
        return _refused(provider, f"returned {type(outcome).__name__}, not a str")
    key = outcome.strip()
    if not key:
        return _refused(provider, "returned an empty key")
    if not key.isascii() or any(c in key for c in "\r\n\0"):
        return _refused(provider, "returned a key that cannot be sent as an HTTP header")
    headers = dict(prepared.headers)
    if not any(name.lower() == "authorization" for name in headers):
        # An Authorization header given per call (or in default_headers) still wins.
        headers["Authorization"] = key if key.startswith("Bearer ") else f"Bearer {key}"
    # The headers change from attempt to attempt: never cached as the core's own.
    return attrs.evolve(prepared, headers=headers, standard_headers=False)
