"""OAuth with PKCE: the code challenge (RFC 7636), the authorization URL, and the README's flow."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from funcs.o_auth_create_authorization_url import o_auth_create_authorization_url
from funcs.o_auth_create_sha256_code_challenge import o_auth_create_sha256_code_challenge
from openrouter_core import InvalidRequestError, OpenRouterCore
from openrouter_core.testing import FakeOpenRouter
from tests.test_readme import _block

CORE = OpenRouterCore(api_key="k", server_url="https://openrouter.example/api/v1")


def test_the_rfc_7636_example() -> None:
    pair = o_auth_create_sha256_code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    assert pair.unwrap().code_challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_new_verifier_is_random_and_well_formed() -> None:
    pairs = [o_auth_create_sha256_code_challenge().unwrap() for _ in range(20)]
    assert len({p.code_verifier for p in pairs}) == 20
    for pair in pairs:
        assert len(pair.code_verifier) == 43
        again = o_auth_create_sha256_code_challenge(pair.code_verifier).unwrap()
        assert again.code_challenge == pair.code_challenge
        assert pair.code_verifier not in repr(pair)


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "a" * 42 + " ", "é" * 50, 5])
def test_a_bad_verifier_is_a_failure(verifier: Any) -> None:
    error = o_auth_create_sha256_code_challenge(verifier).failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == "code_verifier"


def test_the_authorization_url() -> None:
    url = o_auth_create_authorization_url(
        CORE,
        callback_url="https://app.example/cb?x=1",
        code_challenge="abc",
        code_challenge_method="S256",
        limit=5,
    ).unwrap()
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "openrouter.example", "/auth")
    assert parse_qs(parts.query) == {
        "callback_url": ["https://app.example/cb?x=1"],
        "code_challenge": ["abc"],
        "code_challenge_method": ["S256"],
        "limit": ["5"],
    }
    plain = o_auth_create_authorization_url(CORE, callback_url="http://localhost:3000").unwrap()
    assert parse_qs(urlsplit(plain).query) == {"callback_url": ["http://localhost:3000"]}


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"callback_url": "not a url"}, "callback_url"),
        ({"callback_url": "ftp://x.example"}, "callback_url"),
        ({"callback_url": "https://x.example", "code_challenge": "abc"}, "code_challenge"),
        (
            {"callback_url": "https://x", "code_challenge": "a", "code_challenge_method": "MD5"},
            "code_challenge_method",
        ),
        ({"callback_url": "https://x.example", "limit": "5"}, "limit"),
    ],
)
def test_bad_arguments_are_failures(arguments: dict[str, Any], path: str) -> None:
    error = o_auth_create_authorization_url(CORE, **arguments).failure()
    assert isinstance(error, InvalidRequestError)
    assert error.path == path


def test_the_readme_login_flow_runs_against_the_fake(capsys: Any) -> None:
    fake = FakeOpenRouter()
    namespace: dict[str, Any] = {"core": fake.core()}
    exec(compile(_block("o_auth_create_sha256_code_challenge()"), "README", "exec"), namespace)
    assert "https://fake.openrouter.test/auth?callback_url=" in capsys.readouterr().out
    sent = fake.requests[0].json
    assert sent["code"] == "auth-code-from-the-callback"
    assert sent["code_verifier"] == namespace["pkce"].code_verifier
    assert isinstance(namespace["key"], str)
