"""Image generation's stream: partial images (``image_generation.partial_image``), text chunks,
the final image (``image_generation.completed``), ``error`` events, and event types not known yet
as ``ImageStreamEventUnknown``; ``collect()`` gives the same ``ImageGenerationResponse`` as a
call without a stream."""

from __future__ import annotations

from typing import Any

from openrouter_core._machinery.operation import ErrorFields, StreamSpec
from openrouter_core._machinery.stream import AsyncStream, Stream
from openrouter_core.errors import StreamAPIError
from openrouter_core.models._converter import reader
from openrouter_core.models.images import (
    ImageGenCompletedEvent,
    ImageGenerationResponse,
    ImageGenerationResponseDataItem,
    ImageStreamEvent,
)

__all__ = ["STREAM", "AsyncImageStream", "ImageAccumulator", "ImageStream"]


class ImageAccumulator:
    """Keeps the final image (and the partial ones, for a partial answer)."""

    def __init__(self) -> None:
        self._count = 0
        self._partials: list[str] = []
        self._completed: list[ImageGenCompletedEvent] = []

    @property
    def chunks(self) -> int:
        """How many events were fed."""
        return self._count

    @property
    def id(self) -> str | None:
        """Image events carry no id."""
        return None

    @property
    def provider(self) -> str | None:
        """Image events name no provider."""
        return None

    @property
    def finished(self) -> bool:
        """Whether the final image arrived."""
        return bool(self._completed)

    @property
    def complete(self) -> bool:
        """The stream ends at ``[DONE]`` or its end, after the final image(s)."""
        return False

    def feed(self, event: Any) -> None:
        """Take one event."""
        self._count += 1
        if isinstance(event, ImageGenCompletedEvent):
            self._completed.append(event)
        elif getattr(event, "type", None) == "image_generation.partial_image":
            data = getattr(event, "b64_json", None)
            if isinstance(data, str):
                self._partials.append(data)

    def build(self, *, generation_id: str | None = None) -> ImageGenerationResponse:
        """The final images; without them, the latest partial image (for a partial answer)."""
        if self._completed:
            last = self._completed[-1]
            return ImageGenerationResponse(
                created=last.created,
                data=[
                    ImageGenerationResponseDataItem(b64_json=e.b64_json, media_type=e.media_type)
                    for e in self._completed
                ],
                usage=last.usage,
            )
        if not self._partials:
            return ImageGenerationResponse(data=[])
        return ImageGenerationResponse(
            data=[ImageGenerationResponseDataItem(b64_json=self._partials[-1])]
        )


def reported_error(obj: Any) -> ErrorFields | None:
    """The error an ``error`` event reports."""
    if not isinstance(obj, dict) or obj.get("type") != "error":
        return None
    error = obj.get("error")
    error = error if isinstance(error, dict) else {}
    code, message = error.get("code"), error.get("message")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else "the image generation failed",
        error or None,
    )


class ImageStream(Stream[ImageStreamEvent, ImageGenerationResponse]):
    """A streamed image generation (sync): iterate for ``Result`` events, or ``collect()``."""

    def __init__(self, response: Any, spec: StreamSpec[Any, Any] | None = None, **kw: Any) -> None:
        super().__init__(response, spec or STREAM, **kw)


class AsyncImageStream(AsyncStream[ImageStreamEvent, ImageGenerationResponse]):
    """A streamed image generation (async): ``async for`` over events, or ``await collect()``."""

    def __init__(self, response: Any, spec: StreamSpec[Any, Any] | None = None, **kw: Any) -> None:
        super().__init__(response, spec or STREAM, **kw)


#: How an image generation streams.
STREAM: StreamSpec[Any, ImageGenerationResponse] = StreamSpec(
    read_event=reader(ImageStreamEvent),
    accumulator=ImageAccumulator,
    reported_error=reported_error,
    error_class=StreamAPIError,
    sync_class=ImageStream,
    async_class=AsyncImageStream,
    truncated="the stream ended without [DONE] and before the final image",
)
