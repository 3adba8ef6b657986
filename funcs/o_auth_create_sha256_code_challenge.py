"""``o_auth_create_sha256_code_challenge``: a PKCE code verifier and its S256 challenge
(RFC 7636), for the OAuth login flow; pure, no I/O.

>>> pair = o_auth_create_sha256_code_challenge().unwrap()
>>> url = o_auth_create_authorization_url(core, callback_url="https://myapp.example/callback",
...                                       code_challenge=pair.code_challenge,
...                                       code_challenge_method="S256").unwrap()
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

import attrs
from returns.result import Failure, Result, Success

from openrouter_core.errors import InvalidRequestError

__all__ = ["CodeChallenge", "o_auth_create_sha256_code_challenge"]

#: RFC 7636 section 4.1: 43 to 128 unreserved characters.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@attrs.frozen
class CodeChallenge:
    """A PKCE pair: send ``code_challenge`` with the authorization URL, keep ``code_verifier``
    secret until the code is exchanged for a key."""

    code_challenge: str
    code_verifier: str = attrs.field(repr=False)


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def o_auth_create_sha256_code_challenge(
    code_verifier: str | None = None,
) -> Result[CodeChallenge, InvalidRequestError]:
    """The S256 code challenge of ``code_verifier``, or of a new random verifier (32 random
    bytes, base64url: 43 characters) when none is given. A given verifier must be 43 to 128
    characters of ``A-Z a-z 0-9 - . _ ~`` (RFC 7636); otherwise the Failure says so."""
    if code_verifier is None:
        code_verifier = _base64url(secrets.token_bytes(32))
    elif not isinstance(code_verifier, str) or not _VERIFIER.fullmatch(code_verifier):
        problem = "must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_', '~' (RFC 7636)"
        return Failure(
            InvalidRequestError(
                message=f"code_verifier: {problem}", path="code_verifier", problem=problem
            )
        )
    challenge = _base64url(hashlib.sha256(code_verifier.encode("ascii")).digest())
    return Success(CodeChallenge(code_challenge=challenge, code_verifier=code_verifier))
