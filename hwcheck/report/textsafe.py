"""Escaping for text that echoes what a student wrote.

No terminal control characters reach a terminal, and no echoed line can start a GitHub
workflow command (``::``).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_COLONS = re.compile(r":(?=:)")


def clean(text: object, *, limit: int = 200) -> str:
    """Student text made safe to print on one line: controls shown as ``\\xNN``, ``::`` split."""
    s = str(text)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    s = s.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)
    # Every "::" gets a space, even in ":::" (a plain replace would leave ": ::"), and the
    # legacy "##[command]" syntax, which GitHub's runner reads anywhere in a line, is broken.
    return _COLONS.sub(": ", s).replace("##[", "# #[")
