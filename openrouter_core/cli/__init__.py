"""The command line: ``python -m openrouter_core`` and the ``openrouter-core`` script.

One command per operation of ``funcs/``, named as its function (``models_list``, or
``models-list``), built from the function's own signature when that command runs; and a few
shortcuts (``chat``, ``key``, ``credits``, ``generation``, ``models``). Nothing here is imported
by the library itself: ``argparse`` and this package load only when the command line runs.
"""

from openrouter_core.cli._main import main

__all__ = ["main"]
