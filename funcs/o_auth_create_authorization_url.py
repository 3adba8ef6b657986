"""``o_auth_create_authorization_url``: the URL that sends a user to OpenRouter to authorize
your app (OAuth with PKCE); pure, no I/O.

The login flow: make a verifier and challenge (``o_auth_create_sha256_code_challenge``), send the
user to this URL, receive ``?code=...`` at your callback, then exchange the code and the verifier
for a key with ``o_auth_exchange_auth_code_for_api_key``.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode, urlsplit

from returns.result import Failure, Result, Success

from openrouter_core._shared_methods import shown
from openrouter_core.core import OpenRouterCore
from openrouter_core.errors import InvalidRequestError

__all__ = ["o_auth_create_authorization_url"]


def _invalid(path: str, problem: str) -> Failure[InvalidRequestError]:
    return Failure(InvalidRequestError(message=f"{path}: {problem}", path=path, problem=problem))


def o_auth_create_authorization_url(
    core: OpenRouterCore,
    *,
    callback_url: str,
    code_challenge: str | None = None,
    code_challenge_method: Literal["S256", "plain"] | None = None,
    limit: float | None = None,
) -> Result[str, InvalidRequestError]:
    """The authorization URL on the core's server (``https://openrouter.ai/auth?...``).

    ``callback_url`` is where OpenRouter sends the user back with ``?code=``; ``code_challenge``
    and ``code_challenge_method`` go together (PKCE; ``"S256"`` with a challenge from
    ``o_auth_create_sha256_code_challenge``); ``limit`` caps the new key's credit limit.
    """
    parts = urlsplit(callback_url) if isinstance(callback_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problem = f"must be an absolute http(s) URL, not {shown(callback_url)}"
        return _invalid("callback_url", problem)
    if (code_challenge is None) != (code_challenge_method is None):
        return _invalid("code_challenge", "code_challenge and code_challenge_method go together")
    if code_challenge_method not in (None, "S256", "plain"):
        problem = f"must be 'S256' or 'plain', not {shown(code_challenge_method)}"
        return _invalid("code_challenge_method", problem)
    if code_challenge is not None and (not isinstance(code_challenge, str) or not code_challenge):
        return _invalid("code_challenge", "must be a non-empty string")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float))):
        return _invalid("limit", f"must be a number, not {shown(limit)}")
    server = urlsplit(core.server_url)
    query: list[tuple[str, str]] = [("callback_url", callback_url)]
    if code_challenge is not None and code_challenge_method is not None:
        query += [
            ("code_challenge", code_challenge),
            ("code_challenge_method", code_challenge_method),
        ]
    if limit is not None:
        query.append(("limit", f"{limit:g}"))
    return Success(f"{server.scheme}://{server.netloc}/auth?{urlencode(query)}")
