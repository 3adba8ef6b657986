"""Streams, as users meet them: the generic ``Stream`` (sync) and ``AsyncStream`` (async) that
every operation's stream classes specialise (chat's are in :mod:`openrouter_core.chat`).

A stream is a context manager and an iterator of Results, one per event; ``collect()`` gives
the whole response. See :mod:`openrouter_core._machinery.stream` for its guarantees.
"""

import warnings
from typing import TYPE_CHECKING, Any, TypeAlias

from openrouter_core._machinery.stream import AsyncStream, Stream

if TYPE_CHECKING:
    # The names this module had before chat's moved to ``openrouter_core.chat``, for the type
    # checkers; at run time ``__getattr__`` below hands them out with a warning.
    # (``X as X``: re-exported, for checkers that want it said.)
    from openrouter_core.chat.stream import (
        AsyncChatStream as AsyncChatStream,  # noqa: PLC0414
        ChatStream as ChatStream,  # noqa: PLC0414
        ChatStreamItem,
    )

    StreamItem: TypeAlias = ChatStreamItem

__all__ = ["AsyncStream", "Stream"]

#: Chat's names, still found here for a release: their new name in ``openrouter_core.chat``.
_MOVED = {
    "ChatStream": "ChatStream",
    "AsyncChatStream": "AsyncChatStream",
    "StreamItem": "ChatStreamItem",
}


def __getattr__(name: str) -> Any:
    moved = _MOVED.get(name)
    if moved is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"openrouter_core.streaming.{name} is deprecated: import {moved} from "
        f"openrouter_core.chat (from openrouter_core.chat import {moved})",
        DeprecationWarning,
        stacklevel=2,
    )
    from openrouter_core.chat import stream

    return getattr(stream, moved)
