"""Console and logging set-up shared by the CLI: one rich console, levels from -v/-q."""

from __future__ import annotations

import logging
import os

from rich.console import Console
from rich.logging import RichHandler

__all__ = ["console", "err_console", "setup_logging"]

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 200  # a pipe or file gets whole table rows, not rows cut to 80 columns
err_console = Console(stderr=True)


def setup_logging(*, verbose: bool = False, quiet: bool = False) -> None:
    """Route the engine's logs to stderr: INFO by default, DEBUG with -v, WARNING with -q."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logger = logging.getLogger("forecast")
    logger.handlers[:] = [RichHandler(console=err_console, show_path=False, show_time=False)]
    logger.setLevel(level)
    logger.propagate = False
