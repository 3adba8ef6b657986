"""Image generation's stream: partial images (``image_generation.partial_image``), text chunks,
the final image (``image_generation.completed``), ``error`` events, and event types not known yet
as ``ImageStreamEventUnknown``; ``collect()`` gives the same ``ImageGenerationResponse`` as a
call without a stream.

The accumulator and ``reported_error`` are pure; the stream classes are the generic drivers
(``Stream`` / ``AsyncStream``, which do the I/O) under this operation's names."""

from __future__ import annotations

from typing import Any

from openrouter_core._machinery.operation import ErrorFields, StreamSpec
from openrouter_core._machinery.stream import AsyncStream, EventAccumulator, Stream
from openrouter_core.models._converter import reader
from openrouter_core.models.images import (
    ImageGenCompletedEvent,
    ImageGenerationResponse,
    ImageGenerationResponseDataItem,
    ImageStreamEvent,
)

__all__ = ["STREAM", "AsyncImageStream", "ImageAccumulator", "ImageStream"]


class ImageAccumulator(EventAccumulator[Any, ImageGenerationResponse]):
    """Keeps the final image (and the partial ones, for a partial answer). The stream ends at
    ``[DONE]`` or its end, after the final image(s)."""

    def __init__(self) -> None:
        super().__init__()
        self._partials: list[str] = []
        self._completed: list[ImageGenCompletedEvent] = []

    @property
    def finished(self) -> bool:
        """Whether the final image arrived."""
        return bool(self._completed)

    def take(self, event: Any) -> None:
        """Keep a final image, or a partial one."""
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


class AsyncImageStream(AsyncStream[ImageStreamEvent, ImageGenerationResponse]):
    """A streamed image generation (async): ``async for`` over events, or ``await collect()``."""


#: How an image generation streams.
STREAM: StreamSpec[Any, ImageGenerationResponse] = StreamSpec(
    read_event=reader(ImageStreamEvent),
    accumulator=ImageAccumulator,
    reported_error=reported_error,
    sync_class=ImageStream,
    async_class=AsyncImageStream,
    truncated="the stream ended without [DONE] and before the final image",
)
