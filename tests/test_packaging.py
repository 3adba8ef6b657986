"""The supported Pythons and dependency ranges are declared consistently, and the vendored spec
is complete."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, Any]:
    loaded: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return loaded


def _tested() -> tuple[list[str], list[str]]:
    """The Python versions and the lowest attrs/cattrs that ``make test`` runs."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "test_all.py"), "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    versions, pins = out.split("|")
    return versions.split(), pins.split()


def _classifier_pythons() -> list[str]:
    prefix = "Programming Language :: Python :: "
    return [
        c.removeprefix(prefix)
        for c in _pyproject()["project"]["classifiers"]
        if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)
    ]


def test_supported_pythons_agree() -> None:
    project = _pyproject()
    versions = _classifier_pythons()
    assert versions == _tested()[0] == ["3.11", "3.12", "3.13"]
    lowest = versions[0]
    assert project["project"]["requires-python"] == f">={lowest}"
    assert project["tool"]["ruff"]["target-version"] == "py" + lowest.replace(".", "")
    assert project["tool"]["mypy"]["python_version"] == lowest
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in versions


def test_make_test_runs_the_lowest_attrs_and_cattrs_admitted() -> None:
    assert _tested()[1] == ["attrs==23.1.0", "cattrs==24.1.0"]
    for dependency in _pyproject()["project"]["dependencies"]:
        requirement = Requirement(dependency)
        if requirement.name in ("attrs", "cattrs"):
            lowest = next(p for p in _tested()[1] if p.startswith(requirement.name + "=="))
            assert requirement.specifier.contains(lowest.split("==")[1])


def test_pinned_dev_versions_are_in_the_declared_ranges() -> None:
    pins: dict[str, str] = {}
    for raw in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    for dependency in _pyproject()["project"]["dependencies"]:
        requirement = Requirement(dependency)
        pinned = pins[requirement.name.lower()]
        assert requirement.specifier.contains(pinned), f"{requirement} excludes {pinned}"


def test_the_runtime_stands_on_the_declared_stack() -> None:
    names = {Requirement(d).name for d in _pyproject()["project"]["dependencies"]}
    assert names == {"httpx2", "attrs", "cattrs", "returns"}


def test_every_vendored_spec_file_is_described() -> None:
    spec = ROOT / "spec"
    readme = (spec / "README.md").read_text(encoding="utf-8")
    files = [p.relative_to(spec).as_posix() for p in spec.rglob("*") if p.is_file()]
    assert "chat-completions.schema.json" in files
    for name in files:
        if name == "README.md":
            continue
        described = f"`{name}`" in readme or (
            name.startswith("openapi/overlays/") and "`openapi/overlays/*.overlay.yaml`" in readme
        )
        assert described, f"spec/{name} is not described in spec/README.md"
