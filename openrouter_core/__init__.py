"""openrouter-core: a small, typed, functional client for OpenRouter's chat completions API.

Build one :class:`OpenRouterCore` and pass it to the operations in ``funcs``
(``from funcs.chat_send import chat_send``). Every operation returns a ``returns`` Result.
"""

from openrouter_core._client import AsyncHTTPClient, SyncHTTPClient
from openrouter_core._version import __version__
from openrouter_core.core import OpenRouterCore, RetryConfig
from openrouter_core.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ChatError,
    ChatStreamError,
    InvalidRequestError,
    OpenRouterCoreError,
    OpenRouterDefaultError,
    ResponseValidationError,
    StreamConnectionError,
    StreamDecodeError,
    StreamError,
    StreamTimeoutError,
    StreamTruncatedError,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncHTTPClient",
    "ChatError",
    "ChatStreamError",
    "InvalidRequestError",
    "OpenRouterCore",
    "OpenRouterCoreError",
    "OpenRouterDefaultError",
    "ResponseValidationError",
    "RetryConfig",
    "StreamConnectionError",
    "StreamDecodeError",
    "StreamError",
    "StreamTimeoutError",
    "StreamTruncatedError",
    "SyncHTTPClient",
    "__version__",
]
