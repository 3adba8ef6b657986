"""The generic machinery under every operation.

- ``operation``: how an operation is declared (``Operation``, ``Param``, ``StreamSpec``,
  ``FileField``).
- ``options``: the per-call options, declared once (``CallOptions``, ``NOT_GIVEN``).
- ``call`` and ``pages``: one call of an operation, and a paginated list walked page by page.
- ``request``: params, arguments and options in, the request to send out (pure).
- ``files``: what a file field takes, and the one place a request's files are checked and read
  (by the drivers, before the first attempt).
- ``classify``: a response or an exception in, a verdict out (pure).
- ``retry``: the retry schedule and ``Retry-After`` (pure).
- ``attempts``: the attempt loop as a pure step machine, with its sync and async drivers.
- ``sse``: event-stream decoding (pure).
- ``stream_state``: the generic stream's state and the accumulator base (pure).
- ``stream``: the generic stream's drivers, ``Stream`` (sync) and ``AsyncStream`` (async).
- ``janitor``: the process's one janitor thread, started with the first sync stream: it closes
  dropped sync streams and bounds their tail read.
- ``http``: ``HTTPInfo``, the exchange behind a Success; ``pools``: each core's clients;
  ``keys``: an API key from a callable.

Nothing here knows a particular operation: those are declared in ``funcs/``, with the parts
that only one operation has beside them (``openrouter_core.chat`` for chat completions).
"""
