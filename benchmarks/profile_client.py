"""Profile one client variant against the bench server: where does a call spend its time?

    python benchmarks/profile_client.py                      # openrouter-core, sync calls
    python benchmarks/profile_client.py --variant "raw httpx" --calls 2000
    python benchmarks/profile_client.py --mode stream --chunks 20000
    python benchmarks/profile_client.py --pyinstrument      # if pyinstrument is installed

Prints cProfile's top functions by own time and by cumulative time (or pyinstrument's tree).
Run it with the bench venv's python (``.bench-venv/bin/python``) to profile the peers too.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time

import _common
from _common import OURS, Server
from clients import stream_consumer, sync_caller


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default=OURS)
    parser.add_argument("--mode", choices=("calls", "stream"), default="calls")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--chunks", type=int, default=20000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args(argv)
    _common.project_on_path()
    with Server() as server:
        if args.mode == "calls":
            call, close = sync_caller(args.variant, server)
            for _ in range(30):
                call()

            def work() -> None:
                for _ in range(args.calls):
                    call()

            units = args.calls
        else:
            consume, close = stream_consumer(args.variant, server)
            consume(args.chunks)  # also makes the server build the body once

            def work() -> None:
                consume(args.chunks)

            units = args.chunks + 2
        try:
            start = time.perf_counter()
            if args.pyinstrument:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0002)
                profiler.start()
                work()
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            else:
                prof = cProfile.Profile()
                prof.enable()
                work()
                prof.disable()
                for key in ("tottime", "cumulative"):
                    out = io.StringIO()
                    pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
                    print(out.getvalue())
            elapsed = time.perf_counter() - start
        finally:
            close()
    print(f"{args.variant}: {units} units in {elapsed:.3f} s under the profiler")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
