"""Rich consoles: colour and tables on a TTY, plain text when piped or when NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

# rich.console is imported only when a console is made: `grade --format json` needs none.
if TYPE_CHECKING:
    from rich.console import Console


def _width(stream) -> int | None:
    # Piped output is read by scripts and CI logs: keep it to 80 columns.
    return None if stream.isatty() and "COLUMNS" not in os.environ else 80


def stdout() -> Console:
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, width=_width(sys.stdout),
                   no_color="NO_COLOR" in os.environ, emoji=False)


def stderr() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, width=_width(sys.stderr),
                   no_color="NO_COLOR" in os.environ, emoji=False)
