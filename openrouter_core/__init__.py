"""openrouter-core: a small, typed, functional client for OpenRouter's API.

Build one :class:`OpenRouterCore` and pass it to the operations in ``funcs``, one module each
(``from funcs.chat_send import chat_send``, ``from funcs.models_list import models_list``).
Every operation returns a ``returns`` Result.

``openrouter_core.converter`` is the library's ``cattrs`` converter (built on first access):
``converter.structure(json_dict, ChatResponse)`` reads as the operations read, and
``converter.unstructure(model)`` writes the wire JSON.
"""

from typing import TYPE_CHECKING, Any

from openrouter_core._client import AsyncHTTPClient, SyncHTTPClient
from openrouter_core._machinery.http import HTTPInfo
from openrouter_core._machinery.options import NOT_GIVEN, CallOptions, NotGiven
from openrouter_core._version import __version__
from openrouter_core.core import OpenRouterCore, RetryConfig
from openrouter_core.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ChatError,
    ChatStreamError,
    HTTPClientError,
    InvalidRequestError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    OpenRouterCoreError,
    OpenRouterDefaultError,
    ResponseValidationError,
    StreamAPIError,
    StreamConnectionError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)

if TYPE_CHECKING:
    import cattrs

    converter: cattrs.BaseConverter

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncHTTPClient",
    "CallOptions",
    "ChatError",
    "ChatStreamError",
    "HTTPClientError",
    "HTTPInfo",
    "InvalidRequestError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "NotGiven",
    "OpenRouterCore",
    "OpenRouterCoreError",
    "OpenRouterDefaultError",
    "ResponseValidationError",
    "RetryConfig",
    "StreamAPIError",
    "StreamConnectionError",
    "StreamDecodeError",
    "StreamError",
    "StreamTimeoutError",
    "StreamTruncatedError",
    "SyncHTTPClient",
    "__version__",
    "converter",
]


def __getattr__(name: str) -> Any:
    # The converter (and cattrs) is loaded on first access, not with the package.
    if name == "converter":
        from openrouter_core.models._converter import get_converter

        return get_converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
