"""Figure 2: non-streaming chat completions per second (sync, async at concurrency 1 and N);
and a big real answer read per second (``GET /models``, 320 models, sync).

Every variant does ``calls`` calls in total, split into blocks of about ``BLOCK`` calls (at
least ``reps`` blocks); the blocks of the variants alternate (rotating order), and the figure is
the median of the per-block rates. Short alternating blocks keep a burst of load from another
process from landing on one variant only. Each client is built once, warmed up, and kept
(pooled connections), as an application would. The client's own CPU time per call
(``time.process_time``) is reported beside the rate: it is what the client costs, and it is
much less disturbed by other processes than the wall clock.

"models_list, big real answer": the bench server's second route answers ``GET /models`` with the
whole catalog recorded from OpenRouter (``tests/corpus/other/models-llm-openrouter-1.json``, 410
KiB, 320 models). openrouter-core's ``models_list(core)`` (its client built once, warmed up)
against raw httpx2 ``client.get`` + ``json.loads(response.content)``, target ≥ 0.80x the raw
floor: the cost of turning a big answer into typed models. ``calls // 10`` calls per variant, in
alternating blocks of about ``BIG_BLOCK`` calls (at least ``reps`` blocks).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from _common import (
    BIG_MODELS_FILE,
    OURS,
    OURS_HTTPX,
    OURS_HTTPX2,
    RAW_HTTPX,
    RAW_HTTPX2,
    Config,
    Row,
    Server,
    ServerLoad,
    median,
    ratio_at_least,
    rotated,
)
from clients import (
    ALL_BIG_MODELS_VARIANTS,
    ALL_CALL_VARIANTS,
    async_caller,
    big_models_caller,
    describe,
    sync_caller,
)

SYNC_FIGURE = "sync calls"
BIG_FIGURE = "models_list, big real answer"
ASYNC1_FIGURE = "async calls, concurrency 1"


def async_n_figure(n: int) -> str:
    return f"async calls, concurrency {n}"


BLOCK = 200
BIG_BLOCK = 20
Sample = tuple[float, float]  # (calls per second, client CPU microseconds per call)


def block_plan(cfg: Config) -> tuple[int, int]:
    """(number of blocks, calls per block)."""
    blocks = max(cfg.reps, cfg.calls // BLOCK, 1)
    return blocks, max(1, cfg.calls // blocks)


def _rows(
    figure: str,
    rates: dict[str, list[Sample]],
    missing: dict[str, str],
    target: tuple[str, Callable[..., bool | None]] | None,
) -> list[Row]:
    rows = []
    for variant in ALL_CALL_VARIANTS:
        samples = rates.get(variant)
        value = median([rate for rate, _ in samples]) if samples else None
        cpu = median([cpu for _, cpu in samples]) if samples else None
        row = Row(
            figure=figure,
            variant=variant,
            value=value,
            unit="calls/s",
            higher_is_better=True,
            floor=RAW_HTTPX,
            note=missing.get(variant, "")[:60] if value is None else "",
            cpu_us=cpu,
        )
        if target is not None and variant in (OURS, OURS_HTTPX, OURS_HTTPX2):
            row.target, row.check = target
        rows.append(row)
    return rows


def run_sync(cfg: Config, server: Server, load: ServerLoad) -> list[Row]:
    callers: dict[str, Callable[[], object]] = {}
    closers: list[Callable[[], None]] = []
    missing: dict[str, str] = {}
    for variant in ALL_CALL_VARIANTS:
        try:
            call, close = sync_caller(variant, server)
            for _ in range(cfg.warmup):
                call()
        except Exception as exc:
            missing[variant] = describe(exc)
            continue
        callers[variant] = call
        closers.append(close)
    blocks, block = block_plan(cfg)
    rates: dict[str, list[Sample]] = {name: [] for name in callers}
    try:
        for rep in range(blocks):
            for variant in rotated(list(callers), rep):
                call = callers[variant]
                try:
                    with load if variant == RAW_HTTPX else _NoLoad():
                        cpu = time.process_time()
                        start = time.perf_counter()
                        for _ in range(block):
                            call()
                        elapsed = time.perf_counter() - start
                        cpu = time.process_time() - cpu
                except Exception as exc:
                    missing[variant] = describe(exc)
                    del callers[variant]
                    rates.pop(variant)
                    continue
                rates[variant].append((block / elapsed, cpu * 1e6 / block))
    finally:
        for close in closers:
            close()
    target = ("≥ 0.90x raw httpx", ratio_at_least(0.9, [RAW_HTTPX]))
    return _rows(SYNC_FIGURE, rates, missing, target)


class _NoLoad:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def _run_async_block(call: Callable[[], Awaitable[object]], calls: int, conc: int) -> Sample:
    cpu = time.process_time()
    start = time.perf_counter()
    if conc <= 1:
        for _ in range(calls):
            await call()
    else:
        await _run_workers(call, calls, conc)
    elapsed = time.perf_counter() - start
    return calls / elapsed, (time.process_time() - cpu) * 1e6 / calls


async def _run_workers(call: Callable[[], Awaitable[object]], calls: int, conc: int) -> None:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    await asyncio.gather(*(worker() for _ in range(conc)))


async def _run_async(
    cfg: Config, server: Server, load: ServerLoad
) -> tuple[dict[int, dict[str, list[Sample]]], dict[str, str]]:
    callers: dict[str, Callable[[], Awaitable[object]]] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    missing: dict[str, str] = {}
    for variant in ALL_CALL_VARIANTS:
        try:
            call, close = await async_caller(variant, server)
            # Warm up at the high concurrency too, so every pool holds its connections.
            await _run_async_block(call, cfg.warmup, 1)
            await _run_async_block(call, max(cfg.warmup, cfg.concurrency), cfg.concurrency)
        except Exception as exc:
            missing[variant] = describe(exc)
            continue
        callers[variant] = call
        closers.append(close)
    blocks, block = block_plan(cfg)
    results: dict[int, dict[str, list[Sample]]] = {
        1: {name: [] for name in callers},
        cfg.concurrency: {name: [] for name in callers},
    }
    try:
        for rep in range(blocks):
            for conc in (1, cfg.concurrency):
                for variant in rotated(list(callers), rep):
                    measured = variant == RAW_HTTPX and conc > 1
                    try:
                        with load if measured else _NoLoad():
                            sample = await _run_async_block(callers[variant], block, conc)
                    except Exception as exc:
                        missing[variant] = describe(exc)
                        del callers[variant]
                        for per_conc in results.values():
                            per_conc.pop(variant, None)
                        continue
                    results[conc][variant].append(sample)
    finally:
        for close in closers:
            await close()
    return results, missing


def run_async(cfg: Config, server: Server, load: ServerLoad) -> list[Row]:
    results, missing = asyncio.run(_run_async(cfg, server, load))
    target = (
        "≥ 0.90x faster raw transport",
        ratio_at_least(0.9, [RAW_HTTPX, RAW_HTTPX2]),
    )
    rows = _rows(ASYNC1_FIGURE, results[1], missing, None)
    rows += _rows(async_n_figure(cfg.concurrency), results[cfg.concurrency], missing, target)
    return rows


# --------------------------------------------------------------------------- big answer


def big_plan(cfg: Config) -> tuple[int, int]:
    """(number of blocks, calls per block) of the big-answer figure: a tenth of ``calls``."""
    calls = max(cfg.reps, cfg.calls // 10)
    blocks = max(cfg.reps, calls // BIG_BLOCK, 1)
    return blocks, max(1, calls // blocks)


def _big_note(variant: str) -> str:
    if variant == RAW_HTTPX2:
        try:
            size = BIG_MODELS_FILE.stat().st_size
        except OSError:
            return "client.get + json.loads"
        return f"client.get + json.loads; {size / 1024:,.0f} KiB answer"
    return "models_list(core)"


def run_big_models(cfg: Config, server: Server) -> list[Row]:
    callers: dict[str, Callable[[], object]] = {}
    closers: list[Callable[[], None]] = []
    missing: dict[str, str] = {}
    counts: dict[str, object] = {}
    for variant in ALL_BIG_MODELS_VARIANTS:
        try:
            call, close = big_models_caller(variant, server)
        except Exception as exc:
            missing[variant] = describe(exc)
            continue
        closers.append(close)
        try:
            for _ in range(max(3, cfg.warmup // 3)):
                counts[variant] = call()
        except Exception as exc:
            missing[variant] = describe(exc)
            continue
        callers[variant] = call
    # Every variant must have read the same whole catalog.
    expected = counts.get(RAW_HTTPX2)
    for variant in list(callers):
        if expected is not None and counts.get(variant) != expected:
            missing[variant] = f"broken: read {counts.get(variant)} models, not {expected}"
            del callers[variant]
    blocks, block = big_plan(cfg)
    rates: dict[str, list[Sample]] = {name: [] for name in callers}
    try:
        for rep in range(blocks):
            for variant in rotated(list(callers), rep):
                call = callers[variant]
                try:
                    cpu = time.process_time()
                    start = time.perf_counter()
                    for _ in range(block):
                        call()
                    elapsed = time.perf_counter() - start
                    cpu = time.process_time() - cpu
                except Exception as exc:
                    missing[variant] = describe(exc)
                    del callers[variant]
                    rates.pop(variant)
                    continue
                rates[variant].append((block / elapsed, cpu * 1e6 / block))
    finally:
        for close in closers:
            close()
    rows = []
    for variant in ALL_BIG_MODELS_VARIANTS:
        samples = rates.get(variant)
        row = Row(
            figure=BIG_FIGURE,
            variant=variant,
            value=median([rate for rate, _ in samples]) if samples else None,
            unit="calls/s",
            higher_is_better=True,
            floor=RAW_HTTPX2,
            note=_big_note(variant) if samples else missing.get(variant, "n/a")[:60],
            cpu_us=median([cpu for _, cpu in samples]) if samples else None,
        )
        if variant == OURS:
            row.target = "≥ 0.80x raw httpx2 + json.loads"
            row.check = ratio_at_least(0.8, [RAW_HTTPX2])
        rows.append(row)
    return rows
