"""Paginated lists as lazy iterators of their items: ``Success(item)`` after ``Success(item)``,
page after page, and one ``Failure`` (then nothing) when a page fails.

:class:`Pager` is pure: it says which arguments fetch the next page and takes the items out of a
page, for the two styles the API uses: ``offset`` (``offset``/``limit``, or ``offset`` alone
with pages of a fixed size, items at ``data``) and ``cursor`` (a ``cursor`` argument, the next
one in the page's ``cursor``). The sync and async walkers only fetch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from returns.result import Failure, Result, Success

from openrouter_core._machinery.call import call, call_async
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
        self.arguments = {k: v for k, v in arguments.items() if v is not None}
        self.page_size = page_size
        self.offset = 0
        self.cursor: str | None = None
        self.done = False

    def next_arguments(self) -> dict[str, Any] | None:
        """The arguments of the next request, or None when the list is complete."""
        if self.done:
            return None
        if self.style == "cursor":
            return {**self.arguments, "cursor": self.cursor}
        return {**self.arguments, "offset": self.offset}

    def take(self, page: Any) -> list[Any] | ResponseValidationError:
        """The items of ``page``, noting where the next page starts."""
        items = getattr(page, "data", None)
        if not isinstance(items, list):
            return ResponseValidationError(
                message="data: a page of the list holds no array of items",
                path="data",
                problem="a page of the list holds no array of items",
            )
        if self.style == "cursor":
            cursor = getattr(page, "cursor", None)
            more = getattr(page, "has_more", None)
            self.cursor = cursor if isinstance(cursor, str) and cursor else None
            self.done = not items or self.cursor is None or more is False
            return items
        expected = self.arguments.get("limit") or self.page_size
        if expected is None and self.offset == 0:
            expected = len(items)  # the server's page size, as the first page shows it
        self.offset += len(items)
        self.done = not items or (isinstance(expected, int) and len(items) < expected)
        return items


def walk(
    op: Operation[Any],
    core: OpenRouterCore,
    arguments: Mapping[str, Any],
    options: Mapping[str, Any],
    style: str,
    page_size: int | None = None,
) -> Iterator[Result[Any, OpenRouterCoreError]]:
    """Every item of a paginated list, fetched page by page as the caller goes."""
    pager = Pager(arguments, style, page_size)
    while (page_arguments := pager.next_arguments()) is not None:
        page = call(op, core, None, page_arguments, options)
        items = page.failure() if isinstance(page, Failure) else pager.take(page.unwrap())
        if not isinstance(items, list):
            yield Failure(items)
            return
        yield from (Success(item) for item in items)


async def walk_async(
    op: Operation[Any],
    core: OpenRouterCore,
    arguments: Mapping[str, Any],
    options: Mapping[str, Any],
    style: str,
    page_size: int | None = None,
) -> AsyncIterator[Result[Any, OpenRouterCoreError]]:
    """The async twin of :func:`walk`."""
    pager = Pager(arguments, style, page_size)
    while (page_arguments := pager.next_arguments()) is not None:
        page = await call_async(op, core, None, page_arguments, options)
        items = page.failure() if isinstance(page, Failure) else pager.take(page.unwrap())
        if not isinstance(items, list):
            yield Failure(items)
            return
        for item in items:
            yield Success(item)
