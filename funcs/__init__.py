"""Operations on an :class:`openrouter_core.OpenRouterCore`, one module each.

Nothing is imported here on purpose: import the operation you use from its own
module (``from funcs.chat_send import chat_send``) so only what it needs loads.
"""
