"""Folding stream chunks into the response a non-streaming call would have returned.

``StreamAccumulator`` is pure: feed it ``ChatStreamChunk`` objects in order, then ``build()`` a
``ChatResponse``. The sync and async streams share it, and it also serves the partial response
that a failed stream carries.

The rules: text fields (``content``, ``reasoning``, ``refusal``) are concatenated; tool calls are
merged by ``index`` (``id``, ``type`` and ``name`` taken once, ``arguments`` concatenated, so a
call whose fragments carry no arguments ends with ``""``); reasoning details with the same
``index`` and type are merged the same way; images, annotations and logprobs are appended; the
last non-null ``finish_reason`` / ``native_finish_reason`` wins; ``usage`` and the other
top-level fields take the last value sent (``id``, ``created`` and ``model`` the first). Unknown
fields on deltas, choices and chunks are kept in the matching ``extras``.
"""

from __future__ import annotations

from typing import Any

import attrs

from openrouter_core.models import (
    ChatAnnotation,
    ChatAssistantImage,
    ChatAssistantMessage,
    ChatAudioOutput,
    ChatChoice,
    ChatLogprobs,
    ChatResponse,
    ChatStreamChoice,
    ChatStreamChunk,
    ChatStreamToolCall,
    ChatTokenLogprob,
    ChatToolCall,
    ChatToolCallFunction,
    ChatUsage,
    OpenRouterMetadata,
    ReasoningDetail,
    ReasoningDetailEncrypted,
    ReasoningDetailSummary,
    ReasoningDetailText,
)

__all__ = ["StreamAccumulator"]


@attrs.define
class _ToolCall:
    index: int
    id: str | None = None
    type: str | None = None
    name: str | None = None
    arguments: list[str] = attrs.field(factory=list)
    extras: dict[str, Any] = attrs.field(factory=dict)
    function_extras: dict[str, Any] = attrs.field(factory=dict)

    def add(self, part: ChatStreamToolCall) -> None:
        self.id = self.id or part.id
        self.type = self.type or part.type
        self.extras.update(part.extras)
        function = part.function
        if function is not None:
            self.name = self.name or function.name
            if function.arguments:
                self.arguments.append(function.arguments)
            self.function_extras.update(function.extras)

    def build(self) -> ChatToolCall:
        return ChatToolCall(
            id=self.id or "",
            type=self.type or "function",
            function=ChatToolCallFunction(
                name=self.name or "",
                arguments="".join(self.arguments),
                extras=dict(self.function_extras),
            ),
            extras=dict(self.extras),
        )


def _joined(parts: list[str] | None) -> str | None:
    return None if parts is None else "".join(parts)


def _append(parts: list[str] | None, text: str | None) -> list[str] | None:
    if text is None:
        return parts
    if parts is None:
        return [text]
    parts.append(text)
    return parts


def _concat(old: str | None, new: str | None) -> str | None:
    if new is None:
        return old
    return new if old is None else old + new


def _merge_detail(old: ReasoningDetail, new: ReasoningDetail) -> ReasoningDetail | None:
    """``old`` extended by the fragment ``new``, or None when ``new`` starts another detail."""
    if type(old) is not type(new) or old.index is None or old.index != new.index:
        return None
    extras = {**old.extras, **new.extras}
    common: dict[str, Any] = {
        "id": old.id or new.id,
        "format": old.format or new.format,
        "extras": extras,
    }
    if isinstance(old, ReasoningDetailText) and isinstance(new, ReasoningDetailText):
        return attrs.evolve(
            old,
            text=_concat(old.text, new.text),
            signature=_concat(old.signature, new.signature),
            **common,
        )
    if isinstance(old, ReasoningDetailSummary) and isinstance(new, ReasoningDetailSummary):
        return attrs.evolve(old, summary=_concat(old.summary, new.summary), **common)
    if isinstance(old, ReasoningDetailEncrypted) and isinstance(new, ReasoningDetailEncrypted):
        return attrs.evolve(old, data=_concat(old.data, new.data), **common)
    return None


@attrs.define
class _Choice:
    index: int
    role: str | None = None
    content: list[str] | None = None
    reasoning: list[str] | None = None
    refusal: list[str] | None = None
    reasoning_details: list[ReasoningDetail] | None = None
    tool_calls: list[_ToolCall] = attrs.field(factory=list)
    # index -> position in ``tool_calls`` of the call that fragments with that index extend
    tool_slots: dict[int, int] = attrs.field(factory=dict)
    images: list[ChatAssistantImage] | None = None
    annotations: list[ChatAnnotation] | None = None
    audio: ChatAudioOutput | None = None
    logprobs_content: list[ChatTokenLogprob] | None = None
    logprobs_refusal: list[ChatTokenLogprob] | None = None
    logprobs_extras: dict[str, Any] | None = None
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    message_extras: dict[str, Any] = attrs.field(factory=dict)
    extras: dict[str, Any] = attrs.field(factory=dict)

    def add(self, choice: ChatStreamChoice) -> None:
        delta = choice.delta
        if delta.role is not None and self.role is None:
            self.role = delta.role
        # Most chunks carry only content: append it in place, without a helper call.
        content = delta.content
        if content is not None:
            if self.content is None:
                self.content = [content]
            else:
                self.content.append(content)
        if delta.reasoning is not None:
            self.reasoning = _append(self.reasoning, delta.reasoning)
        if delta.refusal is not None:
            self.refusal = _append(self.refusal, delta.refusal)
        if delta.reasoning_details:
            self._add_details(delta.reasoning_details)
        if delta.tool_calls:
            for part in delta.tool_calls:
                self._add_tool_call(part)
        if delta.images:
            self.images = [*(self.images or []), *delta.images]
        if delta.annotations:
            self.annotations = [*(self.annotations or []), *delta.annotations]
        if delta.audio is not None:
            self._add_audio(delta.audio)
        if delta.extras:
            self.message_extras.update(delta.extras)
        if choice.logprobs is not None:
            self._add_logprobs(choice.logprobs)
        if choice.finish_reason is not None:
            self.finish_reason = choice.finish_reason
        if choice.native_finish_reason is not None:
            self.native_finish_reason = choice.native_finish_reason
        if choice.extras:
            self.extras.update(choice.extras)

    def _add_details(self, details: list[ReasoningDetail]) -> None:
        merged = self.reasoning_details if self.reasoning_details is not None else []
        for detail in details:
            # A fragment continues the latest detail with its index, if that one has its type.
            pos = next(
                (p for p in range(len(merged) - 1, -1, -1) if merged[p].index == detail.index), -1
            )
            joined = _merge_detail(merged[pos], detail) if pos >= 0 else None
            if joined is None:
                merged.append(detail)
            else:
                merged[pos] = joined
        self.reasoning_details = merged

    def _add_tool_call(self, part: ChatStreamToolCall) -> None:
        # A fragment without an index is taken as the first call's, as single-call providers mean.
        index = 0 if part.index is None else part.index
        slot = self.tool_slots.get(index)
        current = None if slot is None else self.tool_calls[slot]
        # Some providers reuse index 0 for parallel calls; a new id means a new call.
        if current is None or (part.id and current.id and part.id != current.id):
            current = _ToolCall(index=index)
            self.tool_slots[index] = len(self.tool_calls)
            self.tool_calls.append(current)
        current.add(part)

    def _add_audio(self, audio: ChatAudioOutput) -> None:
        old = self.audio
        if old is None:
            self.audio = attrs.evolve(audio, extras=dict(audio.extras))
            return
        old.id = old.id or audio.id
        old.data = _concat(old.data, audio.data)
        old.transcript = _concat(old.transcript, audio.transcript)
        old.expires_at = audio.expires_at if audio.expires_at is not None else old.expires_at
        old.extras.update(audio.extras)

    def _add_logprobs(self, logprobs: ChatLogprobs) -> None:
        if logprobs.content:
            self.logprobs_content = [*(self.logprobs_content or []), *logprobs.content]
        if logprobs.refusal:
            self.logprobs_refusal = [*(self.logprobs_refusal or []), *logprobs.refusal]
        self.logprobs_extras = {**(self.logprobs_extras or {}), **logprobs.extras}

    def build(self) -> ChatChoice:
        message = ChatAssistantMessage(
            content=_joined(self.content),
            reasoning=_joined(self.reasoning),
            refusal=_joined(self.refusal),
            reasoning_details=list(self.reasoning_details) if self.reasoning_details else None,
            tool_calls=[call.build() for call in self.tool_calls] or None,
            images=list(self.images) if self.images else None,
            annotations=list(self.annotations) if self.annotations else None,
            audio=(
                attrs.evolve(self.audio, extras=dict(self.audio.extras))
                if self.audio is not None
                else None
            ),
            extras=dict(self.message_extras),
        )
        logprobs = None
        if self.logprobs_extras is not None:
            logprobs = ChatLogprobs(
                content=list(self.logprobs_content) if self.logprobs_content else None,
                refusal=list(self.logprobs_refusal) if self.logprobs_refusal else None,
                extras=dict(self.logprobs_extras),
            )
        return ChatChoice(
            index=self.index,
            message=message,
            finish_reason=self.finish_reason,
            native_finish_reason=self.native_finish_reason,
            logprobs=logprobs,
            extras=dict(self.extras),
        )


class StreamAccumulator:
    """Collects ``ChatStreamChunk`` objects and builds the equivalent ``ChatResponse``.

    >>> acc = StreamAccumulator()
    >>> for chunk in chunks:
    ...     acc.feed(chunk)
    >>> response = acc.build()
    """

    __slots__ = (
        "_choices",
        "_count",
        "_created",
        "_extras",
        "_id",
        "_metadata",
        "_model",
        "_provider",
        "_service_tier",
        "_system_fingerprint",
        "_usage",
    )

    def __init__(self) -> None:
        self._choices: dict[int, _Choice] = {}
        self._count = 0
        self._id: str | None = None
        self._created: int | None = None
        self._model: str | None = None
        self._provider: str | None = None
        self._system_fingerprint: str | None = None
        self._service_tier: str | None = None
        self._usage: ChatUsage | None = None
        self._metadata: OpenRouterMetadata | None = None
        self._extras: dict[str, Any] = {}

    @property
    def chunks(self) -> int:
        """How many chunks were fed."""
        return self._count

    @property
    def finished(self) -> bool:
        """True when at least one choice arrived and every choice has a finish reason."""
        return bool(self._choices) and all(
            c.finish_reason is not None for c in self._choices.values()
        )

    @property
    def complete(self) -> bool:
        """True when every choice finished and usage arrived: nothing more is expected."""
        return self._usage is not None and self.finished

    @property
    def id(self) -> str | None:
        """The generation id of the first chunk, once one arrived."""
        return self._id

    @property
    def provider(self) -> str | None:
        """The provider named by the chunks, if any."""
        return self._provider

    def feed(self, chunk: ChatStreamChunk) -> None:
        """Add one chunk."""
        self._count += 1
        if self._id is None:
            self._id, self._created, self._model = chunk.id, chunk.created, chunk.model
        elif not self._model:
            self._model = chunk.model
        if chunk.provider is not None:
            self._provider = chunk.provider
        if chunk.system_fingerprint is not None:
            self._system_fingerprint = chunk.system_fingerprint
        if chunk.service_tier is not None:
            self._service_tier = chunk.service_tier
        if chunk.usage is not None:
            self._usage = chunk.usage
        if chunk.openrouter_metadata is not None:
            self._metadata = chunk.openrouter_metadata
        if chunk.extras:
            self._extras.update(chunk.extras)
        choices = self._choices
        for choice in chunk.choices:
            index = 0 if choice.index is None else choice.index
            state = choices.get(index)
            if state is None:
                state = choices[index] = _Choice(index=index)
            state.add(choice)

    def build(self, *, generation_id: str | None = None) -> ChatResponse:
        """The response so far; ``generation_id`` stands in for ``id`` if no chunk came."""
        return ChatResponse(
            id=self._id or generation_id or "",
            object="chat.completion",
            created=self._created or 0,
            model=self._model or "",
            choices=[self._choices[i].build() for i in sorted(self._choices)],
            system_fingerprint=self._system_fingerprint,
            usage=self._usage,
            service_tier=self._service_tier,
            provider=self._provider,
            openrouter_metadata=self._metadata,
            extras=dict(self._extras),
        )
