"""Run pytest on every supported Python found, and once with the lowest attrs and cattrs.

``make test`` runs this with ``--checks`` (ruff, mypy and pyright as one more run), ``make
unit-all`` without. Each Python version gets its own venv (``.venv`` for the version
``make`` was run with, ``.venv-X.Y`` for the others), set up when missing or older than
``pyproject.toml`` / ``requirements-dev.txt``; a version not installed (through pyenv or on
``PATH``) is skipped and said so, none found at all is a failure. The lowest attrs and cattrs
that ``pyproject.toml`` admits run the model, converter and corpus tests in ``.venv-lowest``.

The runs go two at a time (a machine of two cores is the target): each writes its output to a
log that is printed whole when it ends, with the time it took. Tests marked ``once`` (the
generated files, the benchmark harness, conformance to the API document's schemas: nothing tied
to the Python version) run with the Python ``make`` runs with only. Every other test runs on
every Python; the randomised ones (hypothesis, the leak counts) run all their examples with
make's Python and a quarter of them on the others and with the lowest pins (tests/scale.py).
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWEST_TESTS = (
    "tests/test_models.py",
    "tests/test_models_stack.py",
    "tests/test_converter_paths.py",
    "tests/test_corpus.py",
    "tests/test_one_class_per_object.py",
    "tests/test_chat_send.py",
)
PIP = ("-m", "pip", "install", "-q", "--disable-pip-version-check")
#: The share of a randomised test's examples run on a Python other than make's (tests/scale.py).
SHARE = 4


def supported() -> list[str]:
    """The Python versions the package supports: its ``pyproject.toml`` classifiers."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    prefix = "Programming Language :: Python :: "
    return [
        c.removeprefix(prefix)
        for c in project["classifiers"]
        if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)
    ]


def lowest() -> tuple[str, ...]:
    """The lowest attrs and cattrs ``pyproject.toml`` admits, pinned (``attrs>=23.1`` ->
    ``attrs==23.1.0``)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = []
    for dependency in project["dependencies"]:
        found = re.match(r"(attrs|cattrs)>=([\d.]+)", dependency)
        if found:
            version = found.group(2) + ".0" * (2 - found.group(2).count("."))
            pins.append(f"{found.group(1)}=={version}")
    return tuple(pins)


def _version_of(exe: str) -> str | None:
    try:
        out = subprocess.run(
            [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


def _find(version: str) -> str | None:
    """An interpreter of ``version``: ``pythonX.Y`` on PATH, else the newest under pyenv."""
    candidates = [shutil.which(f"python{version}") or ""]
    try:
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        root = ""
    if root:
        found = [
            p
            for p in (Path(root) / "versions").glob(f"{version}.*")
            if re.fullmatch(rf"{re.escape(version)}\.\d+", p.name)
        ]
        found.sort(key=lambda p: int(p.name.rsplit(".", 1)[1]), reverse=True)
        candidates += [str(p / "bin" / "python3") for p in found]
    return next((c for c in candidates if c and _version_of(c) == version), None)


def _stale(venv: Path) -> bool:
    stamp = venv / ".installed"
    if not stamp.exists() or _version_of(str(venv / "bin" / "python")) is None:
        return True
    built = stamp.stat().st_mtime
    return any(
        (ROOT / f).stat().st_mtime > built for f in ("pyproject.toml", "requirements-dev.txt")
    )


def _setup(venv: Path, exe: str, extra: tuple[str, ...], log: list[str]) -> bool:
    if not _stale(venv):
        return True
    log.append(f"== setting up {venv.name} with {exe}")
    shutil.rmtree(venv, ignore_errors=True)
    python = str(venv / "bin" / "python")
    steps = [
        [exe, "-m", "venv", str(venv)],
        [python, *PIP, "-r", "requirements-dev.txt"],
        *([[python, *PIP, *extra]] if extra else []),
        [python, *PIP, "--no-deps", "--no-build-isolation", "-e", "."],
    ]
    for step in steps:
        done = subprocess.run(step, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log.append(done.stdout + done.stderr)
            return False
    (venv / ".installed").touch()
    return True


def _run(
    name: str, venv: Path, exe: str, extra: tuple[str, ...], tests: tuple[str, ...], share: int
) -> bool:
    log: list[str] = []
    start = time.monotonic()
    ok = _setup(venv, exe, extra, log)
    if ok:
        about = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import platform, importlib.metadata as m; print(platform.python_version(), "
                "'attrs', m.version('attrs'), 'cattrs', m.version('cattrs'))",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        log.append(f"== pytest, {name}: Python {about} ({venv.name})")
        # Each run its own hypothesis database: two runs at once must not share one.
        with tempfile.TemporaryDirectory() as tmp:
            # A randomised test runs a ``share`` of its examples (tests/scale.py).
            env = {
                **os.environ,
                "HYPOTHESIS_STORAGE_DIRECTORY": tmp,
                "OPENROUTER_CORE_TEST_SHARE": str(share),
            }
            done = subprocess.run(
                [str(venv / "bin" / "pytest"), *tests],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
        log.append(done.stdout + done.stderr)
        ok = done.returncode == 0
    log.append(f"== {name}: {'passed' if ok else 'FAILED'} in {time.monotonic() - start:.0f} s")
    print("\n".join(log), flush=True)
    return ok


#: ``make lint``, ``make typecheck`` and ``make typing``, for ``--checks``.
CHECKS = (
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
    ("mypy", "--strict", "openrouter_core", "funcs", "tests", "examples", "tools"),
    ("mypy", "--strict", "tests/typing"),
    ("pyright", "-p", "tests/typing"),
)


def _checks() -> bool:
    log: list[str] = []
    start = time.monotonic()
    ok = True
    for tool, *arguments in CHECKS:
        command = [str(ROOT / ".venv" / "bin" / tool), *arguments]
        log.append("== " + " ".join([tool, *arguments]))
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        log.append((done.stdout + done.stderr).rstrip())
        ok = ok and done.returncode == 0
    log.append(f"== checks: {'passed' if ok else 'FAILED'} in {time.monotonic() - start:.0f} s")
    print("\n".join(log), flush=True)
    return ok


def once_files() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The test files with a test marked ``once``, and those whose every test is (module-level
    ``pytestmark``). A run leaves out the files it would deselect whole: importing them to
    collect nothing costs seconds (the document's schemas are loaded at import)."""
    some, whole = [], []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if "mark.once" in text:
            some.append(str(path.relative_to(ROOT)))
            if re.search(r"^pytestmark = pytest\.mark\.once$", text, re.MULTILINE):
                whole.append(str(path.relative_to(ROOT)))
    return tuple(some), tuple(whole)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--list", action="store_true", help="print the versions and pins only")
    parser.add_argument(
        "--checks",
        action="store_true",
        help="run ruff, mypy and pyright too, as one more run beside the pytest ones",
    )
    args = parser.parse_args()
    if args.list:
        print(" ".join(supported()), "|", " ".join(lowest()))
        return 0
    default = f"{sys.version_info[0]}.{sys.version_info[1]}"
    some_once, all_once = once_files()
    not_once = ("-m", "not once", *(f"--ignore={path}" for path in all_once))
    jobs: list[tuple[str, Path, str, tuple[str, ...], tuple[str, ...], int]] = []
    skipped = []
    once: tuple[str, Path, str, tuple[str, ...], tuple[str, ...], int] | None = None
    for version in supported():
        exe = sys.executable if version == default else _find(version)
        if exe is None:
            print(f"== Python {version}: not installed on this machine, SKIPPED")
            skipped.append(version)
            continue
        venv = ROOT / (".venv" if version == default else f".venv-{version}")
        # Every test runs on every Python; the randomised ones run all their examples on
        # make's Python and a quarter of them on the others.
        share = 1 if version == default else SHARE
        jobs.append((f"Python {version}", venv, exe, (), not_once, share))
        if version == default:
            # The tests marked ``once`` (not tied to the Python version) run with make's Python
            # only, as a run of their own (after the others start) so that the two runs at a
            # time end close together.
            once = (f"Python {version}, once", venv, exe, (), ("-m", "once", *some_once), share)
    if not jobs:
        print(f"== no supported Python ({', '.join(supported())}) found")
        return 1
    if once is not None:
        jobs.append(once)
    jobs.append(
        (
            "lowest attrs and cattrs",
            ROOT / ".venv-lowest",
            sys.executable,
            lowest(),
            LOWEST_TESTS,
            SHARE,
        )
    )
    runs: list[tuple[str, Callable[[], bool]]] = [(j[0], functools.partial(_run, *j)) for j in jobs]
    if args.checks:
        runs.append(("checks (ruff, mypy, pyright)", _checks))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda run: run[1](), runs))
    results = dict(zip([name for name, _ in runs], outcomes, strict=True))
    passed = [name for name, ok in results.items() if ok]
    failed = [name for name, ok in results.items() if not ok]
    print(
        f"== pytest passed: {', '.join(passed) or 'none'}; failed: {', '.join(failed) or 'none'};"
        f" skipped (not installed): {', '.join(skipped) or 'none'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
