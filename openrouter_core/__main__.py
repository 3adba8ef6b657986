"""``python -m openrouter_core``: the command line (see ``openrouter_core.cli``)."""

import sys

from openrouter_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
