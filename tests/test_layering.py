"""The layers point one way: no import circle between the package's modules (imports at module
level, the ones that run when a module loads), and no module reaches into another library's
private attributes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("openrouter_core", "funcs")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _load_time_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Modules ``name`` imports when it loads: module-level statements, outside
    ``if TYPE_CHECKING`` blocks (a function's own imports run later, when it is called)."""
    found: set[str] = set()
    base = name if is_package else name.rpartition(".")[0]

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    anchor = base.split(".")
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    module = ".".join([*anchor, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return found


def _graph() -> dict[str, set[str]]:
    sources = {
        _module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = _load_time_imports(tree, name, path.name == "__init__.py")
        graph[name] = {target for target in imports if target in sources and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_import_circle_between_the_packages_modules() -> None:
    graph = _graph()
    assert "openrouter_core.models._converter" in graph  # the walk saw the tree
    # A package's __init__ importing its own submodules is not a circle that bites; the
    # submodules importing the package's __init__ back is, so packages stay in the graph.
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: Attributes of httpx, httpx2, httpcore or h11 objects that are theirs alone.
_PRIVATE = re.compile(
    r"\.(_transport|_pool|_connection|_connections|_h11_state|_httpcore_stream|_stream"
    r"|_network_stream|_sock|_requests)\b"
)


def test_no_module_reads_another_librarys_private_attributes() -> None:
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if _PRIVATE.search(code):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_collector_callbacks() -> None:
    text = "\n".join(
        path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
    )
    assert "gc.callbacks" not in text
    assert "threading.Timer" not in text


def _all_imports(tree: ast.Module) -> set[str]:
    """Every module a file may import at run time, in functions too (not under TYPE_CHECKING)."""
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if not _is_type_checking(node.test):
                self.generic_visit(node)
            else:
                for child in node.orelse:
                    self.visit(child)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            found.add(("." * node.level) + (node.module or ""))

    Visitor().visit(tree)
    return found


def test_models_never_import_the_machinery_or_the_operations() -> None:
    offenders = {}
    for path in (ROOT / "openrouter_core" / "models").rglob("*.py"):
        imports = _all_imports(ast.parse(path.read_text(encoding="utf-8")))
        bad = sorted(i for i in imports if "_machinery" in i or i.split(".")[0] == "funcs")
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


#: The operation parts and the layers above the machinery.
_ABOVE_THE_MACHINERY = ("chat", "responses", "images", "video", "stt", "tools", "cli")


def test_the_machinery_never_imports_an_operations_part() -> None:
    # Generic code only: an operation hands the machinery what is its own (a stream spec, a
    # file field's encoder) through its declaration.
    offenders = {}
    for path in (ROOT / "openrouter_core" / "_machinery").rglob("*.py"):
        imports = _all_imports(ast.parse(path.read_text(encoding="utf-8")))
        bad = sorted(
            i
            for i in imports
            if i.split(".")[0] == "funcs"
            or (i.startswith("openrouter_core.") and i.split(".")[1] in _ABOVE_THE_MACHINERY)
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}
