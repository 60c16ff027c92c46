"""Standard streams that cannot hold every character."""

from __future__ import annotations

import sys


def plain_streams() -> None:
    """A stream that is not UTF-8 (LANG=C, PYTHONIOENCODING=latin-1) gets ASCII with
    backslash escapes: no crash on a character it cannot hold, and no raw byte of another
    encoding (``cli.grade.emit`` escapes machine formats in their own syntax first)."""
    for stream in (sys.stdout, sys.stderr):
        if not utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="ascii", errors="backslashreplace")


def utf8(stream) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace(
        "_", "") == "utf8"
