"""Escaping for text that echoes what a student wrote.

No terminal control characters reach a terminal, and no echoed line can start a GitHub
workflow command (``::``).
"""

from __future__ import annotations

import re

# C0/C1 controls, and the invisible format characters that reorder or hide text on screen
# (bidi overrides and isolates, zero-width joiners, the line and paragraph separators)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                      r"\u2060-\u2069\ufeff\ud800-\udfff\U000e0000-\U000e007f]")
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
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def to_ascii(text: str, fmt: str) -> str:
    """A whole report for a stream that is not UTF-8 (``LANG=C``, ``PYTHONIOENCODING=
    latin-1``): every non-ASCII character escaped in the format's own syntax, so the
    report stays valid JSON or XML and no raw byte of another encoding is written."""
    if fmt in ("json", "gradescope"):   # only inside strings: \uXXXX, pairs above U+FFFF
        return _NON_ASCII.sub(lambda m: json_escape(ord(m.group())), text)
    if fmt == "junit":
        return _NON_ASCII.sub(lambda m: f"&#x{ord(m.group()):x};", text)
    return _NON_ASCII.sub(_escaped, text)


def json_escape(code: int) -> str:
    """A code point as a JSON escape (a surrogate pair above U+FFFF)."""
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 + (code >> 10):04x}\\u{0xdc00 + (code & 0x3ff):04x}"
