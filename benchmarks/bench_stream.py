"""Figure 3: streamed chunks per second, end to end and decoder only.

End to end: one ``n``-chunk stream per repetition and variant (variants alternate, rotating
order), the figure is the median rate. Every variant reads the same ``n + 2`` data events
(content chunks, the finish chunk, the usage chunk) and stops at ``[DONE]``.

Responses stream: the same, for ``POST /responses`` with ``"stream": true``: ``n + 2`` events
(``response.created``, ``n`` text deltas, ``response.completed``), raw ``iter_lines`` floors
beside ``responses_send(..., stream=True)`` iterated and collected.

Decoder only: the same SSE bytes, cut where the server's HTTP chunks end, fed to our
``openrouter_core._machinery.sse`` decoder, to httpx-sse's decoders (as
``EventSource.iter_sse`` drives them) and to a bare ``bytes.split`` floor. No JSON parsing here.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from _common import (
    API_KEY,
    OURS,
    OURS_HTTPX,
    OURS_HTTPX2,
    PARAMS,
    RAW_HTTPX,
    RAW_HTTPX2,
    Config,
    Row,
    Server,
    median,
    ratio_at_least,
    rotated,
    stream_model,
)
from clients import (
    ALL_ASYNC_STREAM_VARIANTS,
    ALL_RESPONSES_STREAM_VARIANTS,
    ALL_STREAM_VARIANTS,
    HEADERS,
    OURS_COLLECT,
    OURS_HTTPX2_COLLECT,
    RAW_STREAM_SPLIT,
    UnavailableError,
    async_stream_consumer,
    describe,
    responses_stream_consumer,
    stream_consumer,
)

STREAM_FIGURE = "stream chunks"
ASYNC_STREAM_FIGURE = "async stream chunks"
RESPONSES_STREAM_FIGURE = "responses stream events"
DECODER_FIGURE = "SSE decoder only"
REUSE_FIGURE = "back-to-back short streams"
OURS_TARGETED = (OURS, OURS_COLLECT, OURS_HTTPX, OURS_HTTPX2, OURS_HTTPX2_COLLECT)


def _time_streams(
    cfg: Config,
    server: Server,
    variants: Iterable[str],
    make: Callable[[str, Server], tuple[Callable[[int], object], Callable[[], None]]],
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, str]]:
    """(rate, client CPU µs per event) samples of each variant, and why the others are n/a."""
    n = cfg.stream_chunks
    events = n + 2
    consumers: dict[str, Callable[[int], object]] = {}
    closers: list[Callable[[], None]] = []
    missing: dict[str, str] = {}
    warm = max(10, min(500, n // 10))
    for variant in variants:
        try:
            consume, close = make(variant, server)
            consume(warm)  # the same client: its pool keeps the connection
        except Exception as exc:
            missing[variant] = describe(exc)
            continue
        consumers[variant] = consume
        closers.append(close)
    if consumers:  # the server builds an n-chunk body once; keep that out of the timings
        next(iter(consumers.values()))(n)
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in consumers}
    try:
        for rep in range(stream_reps(cfg)):
            for variant in rotated(list(consumers), rep):
                try:
                    cpu = time.process_time()
                    start = time.perf_counter()
                    consumers[variant](n)
                    elapsed = time.perf_counter() - start
                    cpu = time.process_time() - cpu
                    rates[variant].append((events / elapsed, cpu * 1e6 / events))
                except Exception as exc:
                    missing[variant] = describe(exc)
                    del consumers[variant]
                    rates.pop(variant, None)
    finally:
        for close in closers:
            close()
    return rates, missing


def run_stream(cfg: Config, server: Server) -> list[Row]:
    rates, missing = _time_streams(cfg, server, ALL_STREAM_VARIANTS, stream_consumer)
    rows = []
    for variant in ALL_STREAM_VARIANTS:
        samples = rates.get(variant)
        value = median([rate for rate, _ in samples]) if samples else None
        cpu_us = median([cpu for _, cpu in samples]) if samples else None
        note = {
            RAW_HTTPX: "iter_lines, json.loads per data line",
            RAW_HTTPX2: "iter_lines, json.loads per data line",
            RAW_STREAM_SPLIT: "iter_bytes, split on blank line, json.loads",
            OURS: "iterate",
            OURS_HTTPX: "iterate",
            OURS_HTTPX2: "iterate",
        }.get(variant, "")
        if value is None:
            note = missing.get(variant, "n/a")[:60]
        row = Row(
            STREAM_FIGURE, variant, value, "chunks/s", True, RAW_HTTPX, note=note, cpu_us=cpu_us
        )
        if variant in OURS_TARGETED:
            row.target = "≥ 0.60x floor"
            row.check = ratio_at_least(0.6)
        rows.append(row)
    return rows


def run_responses_stream(cfg: Config, server: Server) -> list[Row]:
    """Responses API events per second (sync): raw ``iter_lines`` floors, ``responses_send``
    iterated and collected."""
    variants = ALL_RESPONSES_STREAM_VARIANTS
    rates, missing = _time_streams(cfg, server, variants, responses_stream_consumer)
    rows = []
    for variant in variants:
        samples = rates.get(variant)
        value = median([rate for rate, _ in samples]) if samples else None
        cpu_us = median([cpu for _, cpu in samples]) if samples else None
        note = {
            RAW_HTTPX: "iter_lines, json.loads per data line",
            RAW_HTTPX2: "iter_lines, json.loads per data line",
            OURS: "responses_send, iterate",
            OURS_COLLECT: "responses_send",
        }.get(variant, "")
        if value is None:
            note = missing.get(variant, "n/a")[:60]
        row = Row(
            RESPONSES_STREAM_FIGURE,
            variant,
            value,
            "events/s",
            True,
            RAW_HTTPX,
            note=note,
            cpu_us=cpu_us,
        )
        if variant in (OURS, OURS_COLLECT):
            row.target = "≥ 0.60x floor"
            row.check = ratio_at_least(0.6)
        rows.append(row)
    return rows


async def _run_async_stream(
    cfg: Config, server: Server
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, str]]:
    n = cfg.stream_chunks
    events = n + 2
    consumers: dict[str, Callable[[int], Awaitable[object]]] = {}
    closers: list[Callable[[], Awaitable[None]]] = []
    missing: dict[str, str] = {}
    for variant in ALL_ASYNC_STREAM_VARIANTS:
        try:
            consume, close = await async_stream_consumer(variant, server)
            await consume(max(10, min(500, n // 10)))
        except Exception as exc:
            missing[variant] = describe(exc)
            continue
        consumers[variant] = consume
        closers.append(close)
    if consumers:
        await next(iter(consumers.values()))(n)
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in consumers}
    try:
        for rep in range(stream_reps(cfg)):
            for variant in rotated(list(consumers), rep):
                try:
                    cpu = time.process_time()
                    start = time.perf_counter()
                    await consumers[variant](n)
                    elapsed = time.perf_counter() - start
                    cpu = time.process_time() - cpu
                    rates[variant].append((events / elapsed, cpu * 1e6 / events))
                except Exception as exc:
                    missing[variant] = describe(exc)
                    del consumers[variant]
                    rates.pop(variant, None)
    finally:
        for close in closers:
            await close()
    return rates, missing


def run_async_stream(cfg: Config, server: Server) -> list[Row]:
    """The async twin of ``run_stream`` (``aiter_lines`` floor, ``async for`` everywhere)."""
    rates, missing = asyncio.run(_run_async_stream(cfg, server))
    rows = []
    for variant in ALL_ASYNC_STREAM_VARIANTS:
        samples = rates.get(variant)
        value = median([rate for rate, _ in samples]) if samples else None
        cpu_us = median([cpu for _, cpu in samples]) if samples else None
        note = {RAW_HTTPX: "aiter_lines, json.loads", RAW_HTTPX2: "aiter_lines, json.loads"}.get(
            variant, "async for" if variant in (OURS, OURS_HTTPX, OURS_HTTPX2) else ""
        )
        if value is None:
            note = missing.get(variant, "n/a")[:60]
        row = Row(
            ASYNC_STREAM_FIGURE,
            variant,
            value,
            "chunks/s",
            True,
            RAW_HTTPX,
            note=note,
            cpu_us=cpu_us,
        )
        if variant in OURS_TARGETED:
            row.target = "≥ 0.60x floor"
            row.check = ratio_at_least(0.6)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- back-to-back

#: Chunks per stream of the back-to-back figure: short, so the end of a stream weighs.
REUSE_CHUNKS = 10
#: (label, milliseconds between ``[DONE]`` and the chunked body's last chunk; 0: same packet).
REUSE_TAILS = (("tail in the same packet", 0), ("tail 1 ms later", 1))


def _opened(client: Any, server: Server) -> int:
    response = client.get(f"{server.base_url}/bench/connections")
    return int(response.json()["opened"])


def run_stream_reuse(cfg: Config, server: Server) -> list[Row]:
    """Streams of ``REUSE_CHUNKS`` chunks one after the other on one client: what reading the
    tail of each stream (so its connection goes back to the pool) costs or saves. The note
    gives the most connections one run of ``n`` streams opened (1: every stream reused it)."""
    import httpx2

    from funcs.chat_send import chat_stream, chat_stream_async
    from openrouter_core import OpenRouterCore

    n = max(20, cfg.calls // 10)
    counter = httpx2.Client()
    rows: list[Row] = []
    try:
        for label, delay in REUSE_TAILS:
            headers = {**HEADERS, "X-Bench-Tail-Delay-Ms": str(delay)}
            body = {**PARAMS, "model": stream_model(REUSE_CHUNKS), "stream": True}

            def raw(count: int, headers: dict[str, str] = headers, body: Any = body) -> None:
                with httpx2.Client() as client:
                    for _ in range(count):
                        with client.stream("POST", server.url, json=body, headers=headers) as r:
                            for _line in r.iter_lines():
                                pass

            def ours(count: int, headers: dict[str, str] = headers, body: Any = body) -> None:
                with OpenRouterCore(
                    api_key=API_KEY, server_url=server.base_url, default_headers=headers
                ) as core:
                    for _ in range(count):
                        with chat_stream(core, body).unwrap() as stream:
                            for item in stream:
                                item.unwrap()

            def ours_async(count: int, headers: dict[str, str] = headers, body: Any = body) -> None:
                async def main() -> None:
                    async with OpenRouterCore(
                        api_key=API_KEY, server_url=server.base_url, default_headers=headers
                    ) as core:
                        for _ in range(count):
                            stream = (await chat_stream_async(core, body)).unwrap()
                            async with stream:
                                async for item in stream:
                                    item.unwrap()

                asyncio.run(main())

            variants = {RAW_HTTPX2: raw, OURS: ours, f"{OURS} (async)": ours_async}
            samples: dict[str, list[float]] = {name: [] for name in variants}
            opened: dict[str, list[int]] = {name: [] for name in variants}
            for rep in range(max(1, min(cfg.reps, 5))):
                for name in rotated(list(variants), rep):
                    before = _opened(counter, server)
                    start = time.perf_counter()
                    variants[name](n)
                    samples[name].append(n / (time.perf_counter() - start))
                    # The counting request's own connection is the counter client's, opened once.
                    opened[name].append(_opened(counter, server) - before)
            for name in variants:
                most = max(opened[name])
                rows.append(
                    Row(
                        f"{REUSE_FIGURE}, {label}",
                        name,
                        median(samples[name]),
                        "streams/s",
                        True,
                        RAW_HTTPX2,
                        note=f"{n} streams opened {most} connection{'s' * (most != 1)} at most",
                    )
                )
    finally:
        counter.close()
    return rows


def stream_reps(cfg: Config) -> int:
    """Streams per variant: each one is long, so a few are enough."""
    return max(1, min(cfg.reps, 5))


# --------------------------------------------------------------------------- decoder only


def _floor_decoder(pieces: Iterable[bytes]) -> int:
    count = 0
    tail = b""
    for piece in pieces:
        events = (tail + piece).split(b"\n\n")
        tail = events.pop()
        for event in events:
            if event.startswith(b"data: "):
                count += 1
    return count


def _httpx_sse_decoder() -> Callable[[Iterable[bytes]], int]:
    try:
        from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    except ImportError as exc:
        raise UnavailableError(f"httpx-sse not importable: {exc}") from None

    def decode(pieces: Iterable[bytes]) -> int:
        text = codecs.getincrementaldecoder("utf-8")()
        lines = SSELineDecoder()
        sse = SSEDecoder()
        count = 0
        for piece in pieces:
            for line in lines.decode(text.decode(piece)):
                if sse.decode(line) is not None:
                    count += 1
        for line in lines.flush():
            if sse.decode(line) is not None:
                count += 1
        return count

    return decode


def _ours_decoder() -> Callable[[Iterable[bytes]], int]:
    """Adapt to ``openrouter_core._machinery.sse``: a class with ``feed(bytes)`` (or ``decode``)."""
    try:
        import openrouter_core._machinery.sse as sse_mod
    except ImportError as exc:
        raise UnavailableError(f"openrouter_core._machinery.sse not importable: {exc}") from None
    candidates = sorted(vars(sse_mod).items(), key=lambda item: item[0] != "SSEDecoder")
    for name, obj in candidates:
        if name.startswith("_") or not inspect.isclass(obj) or obj.__module__ != sse_mod.__name__:
            continue
        method = next((m for m in ("feed", "decode", "receive_data") if hasattr(obj, m)), None)
        if method is None:
            continue
        try:
            obj()
        except TypeError:
            continue
        cls: Any = obj
        flush = next((m for m in ("flush", "close", "end", "feed_eof") if hasattr(obj, m)), None)

        def decode(
            pieces: Iterable[bytes],
            cls: Any = cls,
            method: str = method,
            flush: str | None = flush,
        ) -> int:
            decoder = cls()
            feed = getattr(decoder, method)
            count = 0
            for piece in pieces:
                count += len(feed(piece))
            if flush is not None:
                rest = getattr(decoder, flush)()
                count += len(rest or ())
            return count

        return decode
    raise UnavailableError(
        "no decoder class with feed()/decode() in openrouter_core._machinery.sse"
    )


def run_decoder(cfg: Config) -> list[Row]:
    from server import sse_events

    pieces = sse_events(cfg.stream_chunks)
    events = cfg.stream_chunks + 2
    decoders: dict[str, Callable[[Iterable[bytes]], int]] = {"bytes.split": _floor_decoder}
    missing: dict[str, str] = {}
    expected = _floor_decoder(pieces)
    for name, factory in (("httpx-sse", _httpx_sse_decoder), (OURS, _ours_decoder)):
        try:
            decode = factory()
            got = decode(pieces)
            if got != expected:
                raise UnavailableError(f"decoded {got} events, expected {expected}")
            decoders[name] = decode
        except Exception as exc:
            missing[name] = describe(exc)
    rates: dict[str, list[float]] = {name: [] for name in decoders}
    for rep in range(max(3, cfg.reps)):
        for name in rotated(list(decoders), rep):
            start = time.perf_counter()
            decoders[name](pieces)
            rates[name].append(events / (time.perf_counter() - start))
    rows = []
    for name, what in (
        ("bytes.split", "floor: split on blank line"),
        ("httpx-sse", "codecs + SSELineDecoder + SSEDecoder"),
        (OURS, "openrouter_core._machinery.sse"),
    ):
        value = median(rates[name]) if rates.get(name) else None
        note = what if value is not None else missing.get(name, "n/a")[:60]
        rows.append(Row(DECODER_FIGURE, name, value, "events/s", True, "bytes.split", note=note))
    return rows
