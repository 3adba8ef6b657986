"""Every example of the README and of docs/*.md is type-checked (``make typing``): the generator
writes each ```python block as a function in tests/typing/examples_readme.py and
tests/typing/examples_docs.py. These fail when the examples changed and the copies did not."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest

# Not tied to the Python version: make test runs these on the first supported Python only.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[1]
TYPING = ROOT / "tests" / "typing"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _generator() -> Any:
    tools = str(ROOT / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    return importlib.import_module("generate")


@pytest.fixture(scope="module")
def written() -> dict[Path, str]:
    gen = _generator()
    files = gen.build()
    wanted = {path: files[path] for path in files if path.parent == TYPING}
    return dict(gen.formatted(wanted))


def test_the_typed_examples_are_up_to_date(written: dict[Path, str]) -> None:
    assert set(written) == {TYPING / "examples_readme.py", TYPING / "examples_docs.py"}
    stale = [
        str(path.relative_to(ROOT))
        for path, text in sorted(written.items())
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], "run `make generate`: the examples changed, their typed copies did not"


@pytest.mark.parametrize(
    ("copy", "sources"),
    [("examples_readme.py", ["README.md"]), ("examples_docs.py", ["docs/*.md"])],
)
def test_every_example_has_its_function(copy: str, sources: list[str]) -> None:
    blocks = [
        (path, text.count("\n", 0, match.start()) + 2)
        for pattern in sources
        for path in sorted(ROOT.glob(pattern))
        for text in [path.read_text(encoding="utf-8")]
        for match in _BLOCK.finditer(text)
    ]
    functions = re.findall(r"^def (\w+)\(", (TYPING / copy).read_text(encoding="utf-8"), re.M)
    expected = [f"{path.stem.lower()}_line_{line}" for path, line in blocks]
    assert functions == expected
    assert len(functions) > (5 if copy == "examples_readme.py" else 80)
