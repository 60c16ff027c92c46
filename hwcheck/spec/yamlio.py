"""The only YAML reader: ``safe_load`` semantics, hardened, with a line mark on every value.

Refused: files over 1 MiB, anchors, aliases, explicit tags, merge keys, nesting deeper than
32, several documents, and duplicate keys. Scalars resolve with the YAML 1.2 core schema, so
``1e3`` is a number while ``yes``, ``no`` and ``1:30`` stay text.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from dataclasses import field
from pathlib import Path
from typing import Any, Iterator

from hwcheck.errors import HwcheckError
from hwcheck.frozen import frozen

MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_INT_DIGITS = 400  # longer literals would only overflow float64 anyway
MAX_NODES = 20_000    # values in one file; a real answers file or spec has a few hundred

_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULL = {"", "~", "null", "Null", "NULL"}
# What YAML's reader refuses (PyYAML's Reader.NON_PRINTABLE), including lone surrogates.
# Written as the complement of what PyYAML's class allows: the same code points (checked
# over all of them), but compiled in ~0.5 ms instead of ~7 ms.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F"
                            "\uD800-\uDFFF\uFFFE\uFFFF]")
_BOOL = {"true": True, "True": True, "TRUE": True,
         "false": False, "False": False, "FALSE": False}


@frozen(many=True)   # tens made for every submission
class Node:
    """One YAML value with its position (1-based line and column).

    ``kind`` is "map", "seq" or "scalar". A map's ``value`` is a dict of key → Node, and
    ``keys`` holds each key's own position. A scalar's ``value`` is str, int, float, bool or
    None; ``quoted`` says the text was quoted, so it is text even if it looks like a number.
    """

    kind: str
    value: Any
    line: int
    col: int
    file: str = "<input>"
    quoted: bool = False
    keys: dict = field(default_factory=dict)
    text: str = ""   # a float as written (5.13e5, 0.50): its precision is in its digits

    def plain(self) -> Any:
        """The value as plain Python: dict, list, or scalar."""
        if self.kind == "map":
            return {k: v.plain() for k, v in self.value.items()}
        if self.kind == "seq":
            return [v.plain() for v in self.value]
        return self.value

    def error(self, message: str, hint: str | None = None, cls=HwcheckError) -> HwcheckError:
        """An error located at this node."""
        return cls(message, file=self.file, line=self.line, col=self.col, hint=hint)

    def items(self) -> Iterator[tuple[str, "Node"]]:
        return iter(self.value.items()) if self.kind == "map" else iter(())

    def key_mark(self, key: str) -> tuple[int, int]:
        return self.keys.get(key, (self.line, self.col))


def resolve_scalar(text: str) -> Any:
    """YAML 1.2 core-schema resolution of a plain (unquoted) scalar."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        digits = text.lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            return math.copysign(math.inf, -1.0 if text.startswith("-") else 1.0)
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8) if len(text) <= MAX_INT_DIGITS else math.inf
    if _HEX.match(text):
        return int(text[2:], 16) if len(text) <= MAX_INT_DIGITS else math.inf
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


def load_file(path: str | Path, *, display: str | None = None,
              follow_links: bool = True) -> Node:
    """Read and parse one YAML file. Every failure is a HwcheckError located in the file.
    ``follow_links=False`` (a student's file): a link, FIFO or device is refused when it is
    opened, so nothing swapped in after the folder was walked is read either."""
    name = display or str(path)
    return load_bytes(read_limited(path, name, MAX_BYTES, "YAML file", follow_links), name)


def read_limited(path: str | Path, name: str, limit: int, what: str,
                 follow_links: bool = True, error: type = HwcheckError) -> bytes:
    """A file's bytes, refused above ``limit`` before it is read whole; every failure is
    an ``error`` naming the file. ``follow_links=False`` (a student's file): a link, FIFO or
    device is refused when it is opened, so nothing swapped in after a folder was walked
    is read either. Every answers format and spec is read through here."""
    path = Path(path)
    try:
        if path.is_dir():
            raise error(f"is a folder, not a {what}", file=name,
                        hint="give a file, or pass the folder where a folder is expected")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
        if not follow_links:
            flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP and not follow_links:
                raise error("is a symbolic link; links in a submission are not followed",
                            file=name) from None
            raise
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise error("is not a regular file (a FIFO, socket or device)", file=name)
            if st.st_size > limit:
                raise error(f"file is {st.st_size:,} bytes; the limit for a {what} is "
                            f"{limit:,}", file=name, hint="is this the right file?")
            return fh.read(limit + 1)
    except FileNotFoundError:
        raise error("no such file", file=name, hint="check the path") from None
    except PermissionError:
        raise error("permission denied", file=name) from None
    except IsADirectoryError:
        raise error(f"is a folder, not a {what}", file=name) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror or exc}", file=name) from None


def load_bytes(data: bytes, name: str = "<input>") -> Node:
    """Parse YAML from bytes (UTF-8)."""
    if len(data) > MAX_BYTES:
        raise HwcheckError("file is over the 1 MiB limit", file=name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data[: exc.start].decode("utf-8", "replace"))
        raise HwcheckError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                           file=name, line=line, col=col, hint="save the file as UTF-8") from None
    return load_text(text, name)


def load_text(text: str, name: str = "<input>") -> Node:
    """Parse YAML text into a Node tree. The document must not be empty."""
    if "\x00" in text:
        line, col = _position(text[: text.index("\x00")])
        raise HwcheckError("file contains a NUL byte", file=name, line=line, col=col,
                           hint="this looks like a binary file, not YAML")
    bad = _NON_PRINTABLE.search(text)
    if bad:  # found here, in characters: libyaml would report a byte offset
        line, col = _position(text[: bad.start()])
        raise HwcheckError(f"control character U+{ord(bad.group()):04X} is not allowed in YAML",
                           file=name, line=line, col=col,
                           hint="remove it, or write it as an escape inside double quotes")
    from hwcheck.spec.yamlcompose import compose   # lazy, with PyYAML: `--help` is fast

    root = compose(text, name)
    if root is None:
        raise HwcheckError("file is empty", file=name, line=1, col=1,
                           hint="write a YAML mapping, e.g. `p3: 513466`")
    return root


def _position(prefix: str) -> tuple[int, int]:
    return prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1) + 1
