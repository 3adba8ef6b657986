"""``OpenRouterCore``: immutable configuration plus the lazily created connection pools."""

from __future__ import annotations

import math
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from openrouter_core._shared_methods import shown as _shown
from openrouter_core._version import __version__

if TYPE_CHECKING:
    from typing_extensions import Self

    from openrouter_core._client import AsyncHTTPClient, SyncHTTPClient, TimeoutLike
    from openrouter_core.hooks import Hooks

__all__ = [
    "DEFAULT_SERVER_URL",
    "DEFAULT_TIMEOUT",
    "KeyProvider",
    "OpenRouterCore",
    "RetryConfig",
]

DEFAULT_SERVER_URL = "https://openrouter.ai/api/v1"

#: (connect, read, write, pool) seconds. Generations can take minutes, so reading may take long;
#: connecting should be quick.
DEFAULT_TIMEOUT: tuple[float, float, float, float] = (10.0, 600.0, 600.0, 600.0)

USER_AGENT = f"openrouter-core/{__version__} (python)"

TimeoutTuple = tuple[float | None, float | None, float | None, float | None]


def timeout_tuple(value: float | TimeoutLike) -> TimeoutTuple:
    """A timeout as the (connect, read, write, pool) tuple both httpx and httpx2 understand."""
    if isinstance(value, (int, float)):
        return (value, value, value, value)
    return (value.connect, value.read, value.write, value.pool)


def _seconds_or_none(value: object) -> bool:
    return value is None or (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def is_timeout(value: object) -> bool:
    """True for a positive finite number of seconds or a Timeout object (httpx or httpx2) whose
    parts are each seconds or None."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return math.isfinite(value) and value > 0
    try:
        parts = [getattr(value, name) for name in ("connect", "read", "write", "pool")]
    except Exception:  # an object whose attributes fail is no timeout
        return False
    return all(_seconds_or_none(part) for part in parts)


def _kind(value: object) -> str:
    return type(value).__name__


def _count(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{attribute.name} must be an int >= 0 (a number of retries), not {_shown(value)}"
        )
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {_shown(value)}")


def _seconds_field(*, infinite: bool = False) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"{attribute.name} must be a number of seconds (int or float), not {_shown(value)}"
            )
        if math.isnan(value) or value < 0 or (math.isinf(value) and not infinite):
            allowed = ">= 0 (float('inf') for no limit)" if infinite else "finite and >= 0"
            raise ValueError(f"{attribute.name} must be {allowed}, got {_shown(value)}")

    return check


def _flag(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be True or False, not {_shown(value)}")


def _factor(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    _seconds_field()(_, attribute, value)
    if value > 1000:  # type: ignore[operator]
        # Grown over dozens of retries, a larger factor would overflow a float.
        raise ValueError(f"{attribute.name} must be <= 1000, got {_shown(value)}")


@attrs.frozen(kw_only=True)
class RetryConfig:
    """How failed attempts are retried.

    Retried: 408, 429, 500, 502, 503, 504, 524, 529, connection errors and timeouts, and a 400
    whose ``error.code`` is one of those statuses. Delays grow exponentially from
    ``initial_delay`` by ``multiplier`` with full jitter, each capped at ``max_delay``; no retry
    starts after ``max_elapsed`` seconds. A server's ``Retry-After`` / ``retry-after-ms`` is
    honoured up to ``retry_after_cap`` seconds; a longer one ends the retries and the Failure
    carries ``retry_after``. ``RetryConfig.disabled()`` turns retries off.

    Every field is checked when the config is built: a count must be an ``int`` >= 0, seconds
    a finite number >= 0 (``max_elapsed`` may be ``float('inf')``), flags ``bool``; a bad value
    raises ``TypeError`` or ``ValueError`` naming the field.
    """

    max_retries: int = attrs.field(default=2, validator=_count)
    initial_delay: float = attrs.field(default=0.5, validator=_seconds_field())
    max_delay: float = attrs.field(default=8.0, validator=_seconds_field())
    multiplier: float = attrs.field(default=2.0, validator=_factor)
    jitter: bool = attrs.field(default=True, validator=_flag)
    max_elapsed: float = attrs.field(default=60.0, validator=_seconds_field(infinite=True))
    retry_after_cap: float = attrs.field(default=60.0, validator=_seconds_field())
    retry_connection_errors: bool = attrs.field(default=True, validator=_flag)

    @classmethod
    def disabled(cls) -> RetryConfig:
        """A config that never retries."""
        return cls(max_retries=0)


def _env_key() -> str | None:
    return os.environ.get("OPENROUTER_API_KEY") or None


def _env_url() -> str:
    return os.environ.get("OPENROUTER_BASE_URL") or DEFAULT_SERVER_URL


def _check_header_value(name: str, value: str, *, secret: bool = False) -> None:
    # httpx refuses non-ASCII header values only when sending; refuse them here instead.
    shown = "" if secret else f"; got {value!r}"
    if not value.isascii():
        raise ValueError(
            f"{name} must be ASCII because it is sent as an HTTP header{shown}. "
            "Transliterate it or percent-encode it (urllib.parse.quote) before passing it."
        )
    if "\r" in value or "\n" in value or "\0" in value:
        hint = ""
        if value.strip() != value or "\0" in value:
            hint = f"; a value read from a file or the environment ends with one: pass {name}"
            hint += ".strip()" if "\0" not in value else " without it"
        raise ValueError(f"{name} must not contain line breaks{shown}{hint}")


def _optional_str(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {_shown(value)}")
    return value


#: A key provider: called for each attempt, returns the key (an async one, for async calls,
#: may return an awaitable of it), so a key can rotate or come from a secret manager.
KeyProvider = Callable[[], str | Awaitable[str]]


def _convert_key(value: str | KeyProvider | None) -> str | KeyProvider | None:
    if isinstance(value, (bytes, bytearray)):
        raise TypeError("api_key must be a str, not bytes: decode it first (key.decode())")
    if callable(value) and not isinstance(value, str):
        return value
    if value is not None and not isinstance(value, str):
        # The value itself is not shown: it may be a key of another kind.
        raise TypeError(
            f"api_key must be a str (the key from https://openrouter.ai/keys), a callable "
            f"returning it, or None, "
            f"not {_kind(value)}"
        )
    if value:
        _check_header_value("api_key", value, secret=True)
        if value != value.strip():
            raise ValueError("api_key must not start or end with spaces: pass api_key=key.strip()")
    return value


def provider_name(provider: object) -> str:
    """How a key provider is named in errors and reprs (its qualified name, never a value)."""
    name = getattr(provider, "__qualname__", None)
    return name if isinstance(name, str) else type(provider).__name__


def _check_hooks(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    from openrouter_core.hooks import Hooks

    if not isinstance(value, Hooks):
        raise TypeError(
            f"hooks must be a Hooks (from openrouter_core.hooks import Hooks) or None, "
            f"not {_kind(value)}"
        )


def _optional_header(name: str, value: object) -> str | None:
    checked = _optional_str(name, value)
    if checked is not None:
        _check_header_value(name, checked)
    return checked


# Named functions, one per field: the attrs plugin of mypy reads a converter's argument type
# (the field's type in ``__init__``) only from a named function.
def _convert_referer(value: str | None) -> str | None:
    return _optional_header("http_referer", value)


def _convert_title(value: str | None) -> str | None:
    return _optional_header("app_title", value)


def _convert_categories(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        joined = value
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        joined = ",".join(value)
    else:
        raise TypeError(f"app_categories must be a str, a list of str or None, not {_shown(value)}")
    if joined is not None:
        _check_header_value("app_categories", joined)
    return joined


# A header name is an HTTP token (RFC 9110): no spaces, colons or line breaks.
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _convert_headers(value: Mapping[str, str] | None) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(
            "default_headers must be a mapping of header names to values "
            f"(such as {{'X-Trace': 'abc'}}), not {_shown(value)}"
        )
    headers = dict(value)
    for key, item in headers.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise TypeError(
                f"default_headers must map str to str; got {_shown(key)}: {_shown(item)}"
            )
        if not key or not set(key) <= _TOKEN_CHARS:
            raise ValueError(
                f"default_headers: {key!r} is not a valid header name (letters, digits and "
                "-, without spaces or colons)"
            )
        _check_header_value(f"default_headers[{key!r}]", item)
    return headers


def _convert_url(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(
            f"server_url must be a str such as {DEFAULT_SERVER_URL!r}, not {_shown(value)}"
        )
    from urllib.parse import urlsplit

    url = value.strip()
    problem = None
    if url != value or any(c.isspace() or ord(c) < 32 for c in url):
        problem = "it contains spaces or control characters"
    else:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - parsing the port checks it
        except ValueError as exc:
            problem = str(exc)
        else:
            if parts.scheme not in ("http", "https"):
                problem = "it does not start with https:// (or http://)"
            elif not host:
                problem = "it names no host"
            elif parts.query or parts.fragment:
                problem = "it has a query or a fragment"
    if problem is not None:
        fix = ""
        if "://" not in url and url:
            fix = f" (did you mean 'https://{url.lstrip('/')}'?)"
        raise ValueError(
            f"server_url must be an http(s) URL such as {DEFAULT_SERVER_URL!r}; {problem}: "
            f"{value!r}{fix}"
        )
    return url.rstrip("/")


def _convert_retry(value: RetryConfig | None) -> RetryConfig:
    if value is None:
        return RetryConfig.disabled()
    if isinstance(value, RetryConfig):
        return value
    hint = "RetryConfig(max_retries=3)"
    if isinstance(value, Mapping):
        hint = "RetryConfig(**{...}) with the same fields"
    elif isinstance(value, int) and not isinstance(value, bool):
        hint = f"RetryConfig(max_retries={value})"
    raise TypeError(
        f"retry_config must be a RetryConfig or None (no retries), not {_shown(value)}; "
        f"pass {hint} (from openrouter_core import RetryConfig)"
    )


def _check_timeout(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not is_timeout(value):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        error = ValueError if number else TypeError
        raise error(
            f"{attribute.name} must be a positive number of seconds, a Timeout (httpx or "
            f"httpx2) or None, not {_shown(value)}"
        )


def _watchdog(_: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{attribute.name} must be a number of seconds or None, not {_shown(value)}"
        )
    if not (math.isfinite(value) and value > 0):
        raise ValueError(
            f"{attribute.name} must be a positive number of seconds, got {_shown(value)}"
        )


def _is_async_send(client: object) -> bool:
    send = getattr(client, "send", None)
    code = getattr(getattr(send, "__func__", send), "__code__", None)
    if code is not None:
        return bool(code.co_flags & 0x80)  # CO_COROUTINE: an ``async def``
    # Not a plain function (a mock, a callable object): inspect knows the other markers. It is
    # imported only here, so that a core without such a client does not pay for it.
    import inspect

    return inspect.iscoroutinefunction(send)


def _check_client(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    sync = attribute.name == "client"
    wanted = "httpx2.Client or httpx.Client" if sync else "httpx2.AsyncClient or httpx.AsyncClient"
    missing = [
        name for name in ("build_request", "send") if not callable(getattr(value, name, None))
    ]
    if missing:
        raise TypeError(
            f"{attribute.name} must be an HTTP client such as {wanted} (with build_request and "
            f"send), not {_kind(value)}"
        )
    if _is_async_send(value) == sync:
        other = "async_client" if sync else "client"
        kind = "an async" if sync else "a sync"
        raise TypeError(
            f"{attribute.name} got {kind} client ({_kind(value)}): {attribute.name} takes "
            f"{'a sync' if sync else 'an async'} one such as {wanted}; pass this one as {other}="
        )


#: What users of other clients pass, and the field that means it here.
_OTHER_NAMES = {
    "base_url": "server_url",
    "url": "server_url",
    "key": "api_key",
    "token": "api_key",
    "max_retries": "retry_config",
    "retries": "retry_config",
    "http_client": "client",
    "headers": "default_headers",
    "extra_headers": "default_headers",
}


def _init_names(cls: type) -> tuple[str, ...]:
    return tuple(f.alias for f in attrs.fields(cls) if f.init)


def _unknown_config(name: str, known: tuple[str, ...]) -> str:
    import difflib

    message = f"OpenRouterCore has no setting {name!r}"
    meant = _OTHER_NAMES.get(name)
    if meant == "retry_config":
        return f"{message}: pass retry_config=RetryConfig(max_retries=...)"
    if meant == "server_url":
        return f"{message}: the API's base URL is server_url=... (default {DEFAULT_SERVER_URL!r})"
    if meant is not None:
        return f"{message}: pass {meant}=... instead"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{message}; {hint}(settings: {', '.join(known)})"


class _InitSignature:
    """``inspect.signature(OpenRouterCore)``: the settings ``__init__`` takes, not the
    ``(*args, **kwargs)`` of the ``__new__`` that checks their names (``inspect`` is imported
    only when someone asks)."""

    def __get__(self, instance: object, owner: type) -> Any:
        import inspect

        signature = inspect.signature(owner.__init__)  # type: ignore[misc]
        return signature.replace(
            parameters=list(signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )


@attrs.frozen(kw_only=True, repr=False)
class OpenRouterCore:
    """Configuration shared by every call; pass it to functions such as ``chat_send``.

    Immutable: use ``attrs.evolve(core, ...)`` (or ``copy.replace`` on Python 3.13+) for a
    variant. Without injected clients, the calls made with a core share one pooled client (one
    per event loop for async calls), created on first use by the machinery; close it with
    ``close()`` / ``aclose()`` or ``with core:`` / ``async with core:``. A variant has pools of
    its own. Injected clients are never closed by the SDK.
    """

    # ``api_key`` and ``server_url`` fall back to the environment only when not given (an
    # explicit ``api_key=None`` stays None). The validators run once every field is set, in
    # declaration order. ``app_categories`` also takes a list of names, ``default_headers`` None.
    #: The key, or a callable returning it (``KeyProvider``), called for every attempt.
    api_key: str | KeyProvider | None = attrs.field(factory=_env_key, converter=_convert_key)
    server_url: str = attrs.field(factory=_env_url, converter=_convert_url)
    #: Seconds or a Timeout (httpx or httpx2); ``None`` means ``DEFAULT_TIMEOUT`` for the core's
    #: own pool and the injected client's own setting for a caller's client.
    timeout: float | TimeoutLike | None = attrs.field(default=None, validator=_check_timeout)
    #: ``None`` turns retries off (the same as ``RetryConfig.disabled()``).
    retry_config: RetryConfig = attrs.field(factory=RetryConfig, converter=_convert_retry)
    http_referer: str | None = attrs.field(default=None, converter=_convert_referer)
    app_title: str | None = attrs.field(default=None, converter=_convert_title)
    app_categories: str | None = attrs.field(default=None, converter=_convert_categories)
    default_headers: Mapping[str, str] = attrs.field(default=None, converter=_convert_headers)
    #: Seconds from sending to the first content chunk of a stream; ``None`` for no limit.
    first_content_timeout: float | None = attrs.field(default=None, validator=_watchdog)
    #: Longest gap in seconds between two content chunks of a stream; ``None`` for no limit.
    chunk_gap_timeout: float | None = attrs.field(default=None, validator=_watchdog)
    #: Log request and response bodies at DEBUG (off by default: bodies hold user data).
    log_bodies: bool = attrs.field(default=False, validator=_flag)
    #: Callables told of every request, response, retry, result and stream end (``Hooks``).
    hooks: Hooks | None = attrs.field(default=None, validator=_check_hooks)
    #: OpenTelemetry spans and metrics, when the application has set a tracer or meter
    #: provider; False turns them off for this core.
    telemetry: bool = attrs.field(default=True, validator=_flag)
    client: SyncHTTPClient | None = attrs.field(default=None, validator=_check_client)
    async_client: AsyncHTTPClient | None = attrs.field(default=None, validator=_check_client)

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # attrs' __init__ would say only "unexpected keyword argument": say what to pass instead.
        unknown = [name for name in kwargs if name not in _init_names(cls)]
        if unknown:
            raise TypeError(_unknown_config(unknown[0], _init_names(cls)))
        return super().__new__(cls)

    @property
    def base_headers(self) -> dict[str, str]:
        """Headers every request carries, before per-call headers (the key included, unless it
        comes from a provider, which is asked per attempt)."""
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        key = self.api_key
        if isinstance(key, str) and key:  # a key provider's key is added per attempt
            headers["Authorization"] = key if key.startswith("Bearer ") else f"Bearer {key}"
        if self.http_referer:
            headers["HTTP-Referer"] = self.http_referer
        if self.app_title:
            headers["X-OpenRouter-Title"] = self.app_title
        if self.app_categories:
            headers["X-OpenRouter-Categories"] = self.app_categories
        headers.update(self.default_headers)
        return headers

    def __repr__(self) -> str:
        key = "<missing>"
        if callable(self.api_key):
            key = f"<provider {provider_name(self.api_key)}>"
        elif self.api_key:
            key = "<set>"
        return (
            f"OpenRouterCore(api_key={key}, server_url={self.server_url!r}, "
            f"timeout={self.timeout!r}, retry_config={self.retry_config!r}, "
            f"app_title={self.app_title!r})"
        )

    __str__ = __repr__

    def close(self) -> None:
        """Close the sync pool the calls made with this core created (injected clients are
        left alone)."""
        from openrouter_core._machinery.pools import close

        close(self)

    async def aclose(self) -> None:
        """Close the pools the calls made with this core created: the sync one and the
        running event loop's."""
        from openrouter_core._machinery.pools import aclose

        await aclose(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


# Set on the class attrs built, beside the methods it generated.
OpenRouterCore.__signature__ = _InitSignature()  # type: ignore[attr-defined]
