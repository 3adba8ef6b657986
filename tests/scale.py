"""How many examples a randomised test runs: all of them on the Python ``make test`` runs first,
a share of them on the others (``OPENROUTER_CORE_TEST_SHARE=4``, set by tools/test_all.py), so
every test runs on every Python and the whole suite stays within its time budget."""

from __future__ import annotations

import os

_SHARE = max(1, int(os.environ.get("OPENROUTER_CORE_TEST_SHARE") or "1"))


def examples(count: int) -> int:
    """``count``, or its share on a secondary Python (never fewer than 10)."""
    return max(min(count, 10), count // _SHARE)
