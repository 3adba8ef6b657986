"""Paginated lists as lazy iterators of their items: ``Success(item)`` after ``Success(item)``,
page after page, and one ``Failure`` (then nothing) when a page fails.

:class:`Pager` is pure: it says which arguments fetch the next page and takes the items out of a
page, for the two styles the API uses: ``offset`` (``offset``/``limit``, or ``offset`` alone
with pages of a fixed size, items at ``data``) and ``cursor`` (a ``cursor`` argument, the next
one in the page's ``cursor``); an ``offset`` or ``cursor`` the caller gives is where the walk
starts. The sync and async walkers only fetch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from returns.result import Failure, Result, Success

from openrouter_core._machinery.call import call, call_async, split
from openrouter_core.errors import ResponseValidationError

if TYPE_CHECKING:
    from openrouter_core._machinery.operation import Operation
    from openrouter_core.core import OpenRouterCore
    from openrouter_core.errors import OpenRouterCoreError

__all__ = ["Pager", "walk", "walk_async"]


class Pager:
    """Where the next page starts, and when there is none."""

    def __init__(self, arguments: Mapping[str, Any], style: str, page_size: int | None) -> None:
        self.style = style
        given = {k: v for k, v in arguments.items() if v is not None}
        start = given.pop(style, None)
        self.arguments = given
        self.page_size = page_size
        # A bad start is sent as given, for the request's check to refuse it by name.
        self.offset: Any = 0 if start is None or style == "cursor" else start
        self.cursor: Any = start if style == "cursor" else None
        self.done = False
        self.seen = False

    def next_arguments(self) -> dict[str, Any] | None:
        """The arguments of the next request, or None when the list is complete."""
        if self.done:
            return None
        if self.style == "cursor":
            return {**self.arguments, "cursor": self.cursor}
        return {**self.arguments, "offset": self.offset}

    def take(self, page: Result[Any, OpenRouterCoreError]) -> list[Result[Any, Any]]:
        """The items of a fetched page as Results, noting where the next page starts; a page
        that failed (or holds no list) is one Failure, and the end of the walk."""
        if isinstance(page, Failure):
            self.done = True
            return [page]
        items = getattr(page.unwrap(), "data", None)
        if not isinstance(items, list):
            self.done = True
            problem = "a page of the list holds no array of items"
            return [
                Failure(
                    ResponseValidationError(
                        message=f"data: {problem}", path="data", problem=problem
                    )
                )
            ]
        if self.style == "cursor":
            cursor = getattr(page.unwrap(), "cursor", None)
            more = getattr(page.unwrap(), "has_more", None)
            self.cursor = cursor if isinstance(cursor, str) and cursor else None
            self.done = not items or self.cursor is None or more is False
        else:
            expected = self.arguments.get("limit") or self.page_size
            if expected is None and not self.seen:
                expected = len(items)  # the server's page size, as the first page shows it
            self.offset += len(items)
            self.seen = True
            self.done = not items or (isinstance(expected, int) and len(items) < expected)
        return [Success(item) for item in items]


def walk(
    op: Operation[Any],
    core: OpenRouterCore,
    arguments: Mapping[str, Any],
    style: str,
    page_size: int | None = None,
) -> Iterator[Result[Any, OpenRouterCoreError]]:
    """Every item of a paginated list, fetched page by page as the caller goes; ``arguments``
    holds the list's parameters and the per-call options."""
    parameters, options = split(op, arguments)
    pager = Pager(parameters, style, page_size)
    while (page_arguments := pager.next_arguments()) is not None:
        yield from pager.take(call(op, core, None, {**page_arguments, **options}))


async def walk_async(
    op: Operation[Any],
    core: OpenRouterCore,
    arguments: Mapping[str, Any],
    style: str,
    page_size: int | None = None,
) -> AsyncIterator[Result[Any, OpenRouterCoreError]]:
    """The async twin of :func:`walk`."""
    parameters, options = split(op, arguments)
    pager = Pager(parameters, style, page_size)
    while (page_arguments := pager.next_arguments()) is not None:
        answer = await call_async(op, core, None, {**page_arguments, **options})
        for item in pager.take(answer):
            yield item
