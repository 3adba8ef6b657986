"""An operation, declared once: everything the machinery needs to call it.

A module in ``funcs/`` declares one :class:`Operation` (method, path, parameters, body model,
how the response and its errors read, whether and how it streams) and wraps it in typed public
functions; the machinery does the rest the same way for every operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs

from openrouter_core.errors import APIError, APIStatusError, StreamAPIError

if TYPE_CHECKING:
    from returns.result import Result

    from openrouter_core.errors import InvalidRequestError, ResponseValidationError

__all__ = [
    "Accumulator",
    "ErrorFields",
    "FileField",
    "Form",
    "Operation",
    "Param",
    "RequestBody",
    "StreamSpec",
    "lazy_stream",
]

R = TypeVar("R")
E = TypeVar("E")
E_contra = TypeVar("E_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)

#: ``(code, message, metadata)`` of an error an answer reports in its body.
ErrorFields = tuple[int | str | None, str | None, dict[str, Any] | None]


@attrs.frozen
class Form:
    """A ``multipart/form-data`` body: its file fields and its text fields (wire names)."""

    files: tuple[str, ...]
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


@attrs.frozen
class FileField:
    """A JSON body field that holds a file's content encoded (base64 ``{data, format}``, say) and
    also takes bytes, a path or a binary file object: the driver reads the file and ``encode``,
    the operation's own, makes the field's value of its bytes and name (pure)."""

    name: str
    #: ``encode(content, filename)``: the field's value. Called once with empty content while
    #: the request is built, so that the body model checks the value's shape before any read.
    encode: Callable[[bytes, str], Any]


@attrs.frozen
class Param:
    """A path or query parameter: its wire name, its keyword in Python (snake_case), and what
    the API document says a value must be (checked before sending)."""

    wire: str
    #: The keyword in Python, when it is not the wire name.
    name: str = attrs.field(default=attrs.Factory(lambda self: self.wire, takes_self=True))
    required: bool = False
    #: The JSON type: ``string``, ``integer``, ``number``, ``boolean``, or empty for any scalar.
    kind: str = ""
    #: The values a closed enum allows (a boolean parameter: ``true``/``false`` as strings too).
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    min_length: int | None = None


class RequestBody(Protocol):
    """A request body model: read strictly from a mapping, written out as wire JSON."""

    @classmethod
    def from_dict(cls, data: object) -> Result[Any, InvalidRequestError]:
        """Read a mapping strictly; never raises."""

    def to_dict(self) -> dict[str, Any]:
        """The wire JSON object."""


class Accumulator(Protocol[E_contra, R_co]):
    """Folds a stream's events into the value ``collect()`` returns (pure)."""

    @property
    def chunks(self) -> int:
        """How many events were fed."""

    @property
    def id(self) -> str | None:
        """The id the events carry, once one arrived."""

    @property
    def provider(self) -> str | None:
        """The upstream provider the events name, once one did."""

    @property
    def finished(self) -> bool:
        """Whether the content is complete, so that a missing end marker is no loss."""

    @property
    def complete(self) -> bool:
        """Whether nothing more is expected: the stream ends here even without an end marker."""

    def feed(self, event: E_contra) -> None:
        """Take one event."""

    def build(self, *, generation_id: str | None = None) -> R_co:
        """What arrived so far, as the operation's response."""


@attrs.frozen(kw_only=True)
class StreamSpec(Generic[E, R]):
    """How an operation's event stream reads: the event model, the accumulator behind
    ``collect()``, and how an event reports an error."""

    #: Reads one event's JSON data into the event model (tolerantly).
    read_event: Callable[[Any], Result[E, ResponseValidationError]]
    #: A new accumulator for one stream.
    accumulator: Callable[[], Accumulator[E, R]]
    #: The error an event reports (an ``error`` object, or an operation's own signs), or None.
    reported_error: Callable[[Any], ErrorFields | None]
    #: The class of a reported error.
    error_class: type[StreamAPIError] = StreamAPIError
    #: The stream classes the operation returns (subclasses of ``Stream`` / ``AsyncStream``
    #: that name it); the generic ones when None.
    sync_class: Any = None
    async_class: Any = None
    #: The data of the event that ends the stream.
    end_marker: str = "[DONE]"
    #: What a stream that ends with its content incomplete and no end marker failed to get.
    truncated: str = "the stream ended without its end marker and before its content was complete"


class _LazyStreamSpec:
    """A :class:`StreamSpec` loaded on first use of any of its attributes."""

    __slots__ = ("_load", "_spec")

    def __init__(self, load: Callable[[], StreamSpec[Any, Any]]) -> None:
        self._load = load

    def __getattr__(self, name: str) -> Any:
        # Only reached for a field of the spec: the slots are set in __init__ or just below.
        if name == "_spec":
            self._spec = self._load()
            return self._spec
        return getattr(self._spec, name)


def lazy_stream(load: Callable[[], StreamSpec[E, R]]) -> StreamSpec[E, R]:
    """A stream spec that ``load()`` builds when a call first streams, so that an operation
    called without streaming never imports its stream classes."""
    spec: Any = _LazyStreamSpec(load)
    return spec  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True)
class Operation(Generic[R]):
    """One operation of the API."""

    #: The public function's name, for logs and messages.
    name: str
    method: str
    #: The path below the server URL, with ``{wire}`` placeholders for the path parameters.
    path: str
    path_params: tuple[Param, ...] = ()
    query_params: tuple[Param, ...] = ()
    #: The JSON request body's model (read strictly), or None for an operation without a body.
    body: type[RequestBody] | None = None
    #: Reads a successful body's JSON into the response value (tolerantly); None for an
    #: operation whose answer is bytes (``binary``).
    read: Callable[[Any], Result[R, ResponseValidationError]] | None = attrs.field(default=None)
    #: An error a successful body reports besides a top-level ``error`` object (chat's choices).
    reported_error: Callable[[dict[str, Any]], ErrorFields | None] | None = None
    #: The error class for documented statuses with OpenRouter's JSON error body.
    error_class: type[APIStatusError] = APIError
    #: How the operation streams, when it can.
    stream: StreamSpec[Any, R] | None = None
    #: Seconds for which a 404 is retried (an answer that appears shortly after another call).
    retry_not_found_for: float | None = None
    #: Whether the operation needs a management key (a 401 or 403 then says so).
    management_key: bool = False
    #: Whether a successful answer is bytes (audio, a file, a video), handed over unread as a
    #: ``Body``, instead of JSON for ``read``.
    binary: bool = attrs.field(default=False)
    #: A multipart body (file uploads) instead of a JSON one: ``params`` maps its fields.
    form: Form | None = None

    #: The ``Accept`` header the document declares for the answer, when it is not JSON (audio,
    #: a file, a video); a streaming call asks for ``text/event-stream`` whatever this says.
    accept: str | None = None
    #: JSON body fields that hold a file's content encoded (by the operation's own encoder) and
    #: also take bytes, a path or a binary file object, read before the first attempt.
    file_fields: tuple[FileField, ...] = ()

    #: The Python names of the path and query parameters: the keyword arguments that are not
    #: per-call options.
    argument_names: frozenset[str] = attrs.field(init=False)

    @argument_names.default
    def _argument_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.path_params + self.query_params)

    @binary.validator
    def _one_kind_of_answer(self, _: attrs.Attribute[bool], binary: bool) -> None:
        if binary == (self.read is not None):
            raise ValueError(f"{self.name}: an answer is either JSON (read=...) or binary=True")
