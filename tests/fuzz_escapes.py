"""Fuzz script (not collected by pytest): 10,000 random server behaviours, count the escapes.

    .venv/bin/python -m tests.fuzz_escapes [--examples 10000] [--seed 0]

Each example is a random raw HTTP response from a loopback server (see
``tests/test_reliability_fuzz.py`` for the strategies and checks), driven in one of four modes:
sync or async, streaming or not. An escape is anything that breaks the promise: an exception out
of a call, a stream item or ``collect()``, a value that is not a Result, a Success of the wrong
type, a Failure that is not the stream's last item, a stream left open, or a call slower than
10 s. The script prints the count of escapes (which must be 0), the first few, and the run time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import sys
import time

from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.loopback import LoopbackServer
from tests.test_reliability_fuzz import MODES, Scenario, run_one, scenarios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)

    examples = 0
    escapes: list[tuple[Scenario, list[str]]] = []
    modes: collections.Counter[str] = collections.Counter()
    started = time.monotonic()
    loop = asyncio.new_event_loop()
    try:
        with LoopbackServer() as server:

            @settings(
                max_examples=args.examples,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(sc=scenarios())
            def run(sc: Scenario) -> None:
                nonlocal examples
                # The four modes in turn, so that each gets a quarter of the examples.
                sc = dataclasses.replace(sc, mode=MODES[examples % len(MODES)])
                examples += 1
                modes[sc.mode] += 1
                problems = run_one(server, loop, sc)
                if problems:
                    escapes.append((sc, problems))
                if examples % 1000 == 0:
                    print(f"{examples} examples, {len(escapes)} escapes", file=sys.stderr)

            if args.seed is not None:
                run = seed(args.seed)(run)
            run()
    finally:
        loop.close()
    elapsed = time.monotonic() - started
    for sc, problems in escapes[:5]:
        print(f"ESCAPE {problems}\n    {sc!r}")
    print(f"examples: {examples} ({dict(modes)})")
    print(f"escapes: {len(escapes)}")
    print(f"run time: {elapsed:.1f}s")
    return 1 if escapes else 0


if __name__ == "__main__":
    raise SystemExit(main())
