"""Escaping for text that echoes what a student wrote.

No terminal control characters reach a terminal, and no echoed line can start a GitHub
workflow command (``::``).
"""

from __future__ import annotations

import re

# C0/C1 controls, and the invisible format characters that reorder or hide text on screen
# (bidi overrides and isolates, zero-width joiners, the line and paragraph separators)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                      r"\u2060-\u2069\ufeff]")
_COLONS = re.compile(r":(?=:)")


def clean(text: object, *, limit: int = 200) -> str:
    """Student text made safe to print on one line: controls shown as ``\\xNN``, ``::`` split."""
    s = str(text)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    s = s.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    s = _CONTROL.sub(_escaped, s)
    # Every "::" gets a space, even in ":::" (a plain replace would leave ": ::"), and the
    # legacy "##[command]" syntax, which GitHub's runner reads anywhere in a line, is broken.
    return _COLONS.sub(": ", s).replace("##[", "# #[")


def _escaped(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
