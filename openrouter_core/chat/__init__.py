"""What only chat completions have: the accumulator that folds chunks into a response, the
errors a choice reports, and the chat stream classes (``ChatStream``, ``AsyncChatStream`` and
their item, ``ChatStreamItem``). The operation itself is declared in ``funcs/chat_send.py``."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openrouter_core.chat.stream import AsyncChatStream, ChatStream, ChatStreamItem

__all__ = ["AsyncChatStream", "ChatStream", "ChatStreamItem"]


def __getattr__(name: str) -> Any:
    # The stream classes are loaded when first named: a call that does not stream (which
    # imports ``chat.errors``, and so this package) loads none of the stream code.
    if name in __all__:
        from openrouter_core.chat import stream

        return getattr(stream, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
