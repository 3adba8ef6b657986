"""Quick start: one chat completion and one streamed reply, with errors as values.

Runs against the real API when OPENROUTER_API_KEY is set, otherwise against the built-in fake
(``openrouter_core.testing.FakeOpenRouter``) so it works offline.
"""

from __future__ import annotations

import os
import sys

from returns.result import Failure, Success

from funcs.chat_send import chat_send, chat_stream
from openrouter_core import OpenRouterCore, OpenRouterCoreError, StreamError
from openrouter_core.chat import ChatStream
from openrouter_core.models import ChatResponse, ChatStreamChunk
from openrouter_core.testing import FakeOpenRouter

MODEL = os.environ.get("OPENROUTER_MODEL", "openai/gpt-4o-mini")


def make_core() -> OpenRouterCore:
    """A core for the real API if a key is set, else one wired to the fake."""
    if os.environ.get("OPENROUTER_API_KEY"):
        print(f"Using the real OpenRouter API (model {MODEL}).")
        return OpenRouterCore(app_title="openrouter-core quickstart")
    print("OPENROUTER_API_KEY is not set: using the built-in fake OpenRouter (no network).")
    fake = FakeOpenRouter()
    fake.reply("Hello! I am a scripted reply from the fake OpenRouter.")
    fake.reply_stream(["Streaming ", "works ", "too."])
    return fake.core()


def main() -> int:
    """Send one request, then stream one; print replies and usage."""
    params = {"model": MODEL, "messages": [{"role": "user", "content": "Say hello in one line."}]}
    with make_core() as core:
        match chat_send(core, params, stream=False):
            case Success(ChatResponse() as response):
                print("reply:", response.choices[0].message.content)
                usage = response.usage
                if usage is not None:
                    print(
                        f"usage: {usage.prompt_tokens} prompt + {usage.completion_tokens} "
                        f"completion = {usage.total_tokens} tokens, cost {usage.cost} credits"
                    )
            case Failure(OpenRouterCoreError() as error):
                print("chat failed:", error)
                return 1

        match chat_stream(core, params):
            case Success(ChatStream() as stream):
                print("stream: ", end="")
                with stream:
                    for item in stream:
                        match item:
                            case Success(ChatStreamChunk() as chunk):
                                if chunk.choices:
                                    print(chunk.choices[0].delta.content or "", end="", flush=True)
                            case Failure(StreamError() as broke):
                                print("\nstream broke:", broke)
                                return 1
                print()
            case Failure(OpenRouterCoreError() as error):
                print("stream failed:", error)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
