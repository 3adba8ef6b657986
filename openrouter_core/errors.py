"""Errors that openrouter-core returns inside ``Failure``; nothing here is raised by the SDK itself.

Every error is an ``Exception`` subclass (so ``result.unwrap()`` and ``raise err`` work), an attrs
class (so its fields are plain, comparable values), and picklable: it holds no live httpx object.
No message, repr or field ever contains the API key.

OpenRouterCoreError                   base of everything below
├── InvalidRequestError               bad params, options or config; the network was never touched
├── HTTPClientError                   the injected HTTP client failed in a way no network can: a bug
├── APIConnectionError                the connection could not be made or broke before a response
│   └── APITimeoutError               connect, read, write or pool timeout
├── ResponseValidationError           a response arrived but is not what the contract says
├── APIStatusError                    the server answered with an error (4XX, 5XX, error body)
│   ├── APIError                      a documented status with OpenRouter's JSON error body
│   │   └── ChatError                 ... from a chat completion
│   └── OpenRouterDefaultError        any other status, or an error body that is not OpenRouter JSON
├── JobError                          a job (a video generation) did not end in success
│   ├── JobFailedError                the job ended failed, cancelled or expired
│   └── JobTimeoutError               the wait for the job passed its deadline
└── StreamError                       a stream broke after it started; ``partial`` has what came
    ├── StreamAPIError                the server reported an error inside the stream
    │   └── ChatStreamError           ... of a chat completion
    ├── StreamTruncatedError          the stream ended without ``[DONE]`` or a finish reason
    ├── StreamTimeoutError            a read timeout or a stream watchdog fired mid-stream
    ├── StreamConnectionError         the connection broke mid-stream
    └── StreamDecodeError             an event's data does not read as an event
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from openrouter_core._shared_methods import fields_eq, fields_repr

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APIError",
    "APITimeoutError",
    "ChatError",
    "ChatStreamError",
    "HTTPClientError",
    "InvalidRequestError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "OpenRouterCoreError",
    "OpenRouterDefaultError",
    "ResponseValidationError",
    "StreamAPIError",
    "StreamConnectionError",
    "StreamDecodeError",
    "StreamError",
    "StreamTimeoutError",
    "StreamTruncatedError",
    "DOCUMENTED_STATUSES",
]

#: Statuses the API document declares with OpenRouter's JSON error body, across its operations,
#: and 410 and 504, which OpenRouter answers the same way though the document lists them for no
#: operation; with that body these become ``APIError`` (``ChatError`` for chat).
DOCUMENTED_STATUSES: frozenset[int] = frozenset(
    {400, 401, 402, 403, 404, 408, 409, 410, 413, 422, 429, 500, 502, 503, 504, 524, 529}
)

_BODY_PREVIEW = 500


def _rebuild(cls: type[OpenRouterCoreError], state: dict[str, Any]) -> OpenRouterCoreError:
    return cls(**state)


# Every error class is declared with the same options, spelt out on each (a decorator stored in a
# variable would hide the class from the type checkers' attrs support):
#   kw_only=True    fields are passed by keyword only;
#   slots=False     an exception carries a ``__dict__`` anyway, so slots would save nothing;
#   auto_exc=False  attrs' exception mode would compare errors by identity; these compare by
#                   value, field by field, and only with an error of the same class;
#   repr=False, eq=False  the base class's ``__repr__`` and ``__eq__`` serve every error
#                   (``openrouter_core._shared_methods``: as attrs' own, at half the cost of
#                   defining the classes);
#   unsafe_hash=False  leaves ``__hash__`` alone, so it stays ``Exception``'s, by identity: an
#                   exception must stay hashable (``raise`` inside ``except``, ``traceback`` and
#                   ``logging`` put them in sets), and its fields (dicts) could not be hashed.


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class OpenRouterCoreError(Exception):
    """Base class of every error openrouter-core returns."""

    message: str

    def __attrs_post_init__(self) -> None:
        # ``args`` holds the field values, as an exception's arguments would.
        self.args = tuple(getattr(self, f.name) for f in attrs.fields(type(self)) if f.init)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return fields_repr(self)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return fields_eq(self, other)

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException pickles ``args``; the fields are keyword-only, so rebuild from fields.
        state = {f.alias: getattr(self, f.name) for f in attrs.fields(type(self)) if f.init}
        return (_rebuild, (type(self), state))

    # By identity, as Exception's: see the options above.
    __hash__ = Exception.__hash__


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class InvalidRequestError(OpenRouterCoreError):
    """The params or the configuration are invalid; nothing was sent.

    ``path`` names the offending field (``messages[2].role``), empty for a whole-request problem.
    """

    path: str = ""
    problem: str = ""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class HTTPClientError(OpenRouterCoreError):
    """The HTTP client raised an exception that is not a transport error (a ``TypeError`` from a
    client with another ``send`` signature, say): a programming error, never retried.

    ``cause`` is the exception's class name and text.
    """

    cause: str = ""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class APIConnectionError(OpenRouterCoreError):
    """No response: DNS, refused or reset connection, TLS failure, protocol error.

    ``cause`` is the name of the underlying exception class with its text, not the object.
    """

    cause: str = ""
    attempts: int = 1


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class APITimeoutError(APIConnectionError):
    """The request timed out (connect, read, write or waiting for a pooled connection)."""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class ResponseValidationError(OpenRouterCoreError):
    """A response arrived but its body is not valid JSON or does not match the contract."""

    status_code: int | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: str = ""
    path: str = ""
    problem: str = ""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class APIStatusError(OpenRouterCoreError):
    """The server answered with an error.

    ``code`` is OpenRouter's ``error.code`` (a number or a string, as sent), ``metadata`` its
    ``error.metadata`` object, ``body`` the raw response text, ``retry_after`` the delay in seconds
    the server asked for (when it did), ``generation_id`` the request id when the server sent one.
    """

    status_code: int
    code: int | str | None = None
    metadata: dict[str, Any] | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: str = ""
    generation_id: str | None = None
    retry_after: float | None = None
    user_id: str | None = None
    openrouter_metadata: dict[str, Any] | None = None
    attempts: int = 1

    @property
    def provider_name(self) -> str | None:
        """The upstream provider named in ``metadata``, when there is one."""
        value = (self.metadata or {}).get("provider_name")
        return value if isinstance(value, str) else None

    @property
    def received_json(self) -> Any:
        """The error body parsed as JSON, exactly as received; ``None`` when it is not JSON."""
        return _parse(self.body)


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class APIError(APIStatusError):
    """A documented error status (see ``DOCUMENTED_STATUSES``) with OpenRouter's JSON body.

    A 200 whose body is an error object is one too, with ``status_code`` 200.
    """


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class ChatError(APIError):
    """An ``APIError`` from a chat completion; a choice that reports ``finish_reason: "error"``
    is one too, with ``status_code`` 200.
    """


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class OpenRouterDefaultError(APIStatusError):
    """Any other error status, or an error whose body is not OpenRouter's JSON (an HTML 502)."""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class JobError(OpenRouterCoreError):
    """A job did not end in success. ``job`` is its last status as read (a
    ``VideoGenerationResponse``), ``status`` its status string, ``polls`` how often it was asked."""

    job_id: str = ""
    status: str | None = None
    job: Any = None
    polls: int = 0


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class JobFailedError(JobError):
    """The job ended ``failed``, ``cancelled`` or ``expired``; ``message`` has its error."""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class JobTimeoutError(JobError):
    """The job had not ended when the wait's deadline passed (it may still end later)."""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StreamError(OpenRouterCoreError):
    """A stream failed after it started. ``partial`` is what was received before the failure
    (for a chat stream, a ``ChatResponse``)."""

    generation_id: str | None = None
    partial: Any = None


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StreamAPIError(StreamError):
    """The server reported an error inside the stream (an ``error`` event)."""

    code: int | str | None = None
    metadata: dict[str, Any] | None = None
    provider: str | None = None
    #: The data of the event that reported the error, as received.
    data: str = ""

    @property
    def received_json(self) -> Any:
        """The event's data parsed as JSON, exactly as received; ``None`` when it is not JSON."""
        return _parse(self.data)


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class ChatStreamError(StreamAPIError):
    """A chat stream reported an error (an ``error`` chunk or a choice's error finish)."""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StreamTruncatedError(StreamError):
    """The stream ended without ``[DONE]`` and without a finish reason."""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StreamTimeoutError(StreamError):
    """No bytes within the read timeout, or a watchdog fired (first content, gap between chunks)."""

    watchdog: str = "read"


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StreamConnectionError(StreamError):
    """The connection broke after the stream started."""

    cause: str = ""


@attrs.define(kw_only=True, slots=False, auto_exc=False, repr=False, eq=False, unsafe_hash=False)
class StreamDecodeError(StreamError):
    """An event could not be decoded into a chunk (bad JSON or a chunk that breaks the contract)."""

    data: str = ""


def _parse(text: str) -> Any:
    import json

    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def body_preview(body: str) -> str:
    """Shorten a body for use inside an error message."""
    text = body.strip()
    return text if len(text) <= _BODY_PREVIEW else text[:_BODY_PREVIEW] + "..."
