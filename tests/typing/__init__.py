"""Static typing checks, run by mypy --strict and pyright; not collected by pytest."""
