"""Where a notebook's parts are in its JSON text, for messages and annotations that point
at a line of the file as stored.

``json`` gives values without positions. ``outline`` walks only the notebook's outline
(the top object, its ``cells`` list, each cell's keys) over text that ``json.loads`` has
already accepted, and skips every other value at C speed (a string by a regex, a list or
object by ``raw_decode``), so a notebook full of plots costs about one more parse.
"""

from __future__ import annotations

import json
import re

from hwcheck.frozen import frozen

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_SCALAR = re.compile(r"[^\s,\]}]+")

Place = tuple[int, int]   # 1-based line and column of a value's first character


@frozen
class Outline:
    """Where a notebook's parts start in its JSON text, for located messages."""

    top: Place = (1, 1)                       # the document's value
    keys: tuple[tuple[str, Place], ...] = ()  # each top-level key's value
    cells: tuple[Place, ...] = ()             # each cell of `cells`
    sources: tuple[Place | None, ...] = ()    # each cell's source text (None: it has none)

    def key(self, name: str) -> Place | None:
        return dict(self.keys).get(name)

    def cell(self, number: int) -> Place:
        """Where cell ``number`` (from 1) starts: its source, else the cell itself."""
        if 1 <= number <= len(self.cells):
            return self.sources[number - 1] or self.cells[number - 1]
        return (0, 0)


def outline(text: str) -> Outline:
    """The notebook's outline in ``text`` (valid JSON). A walk that meets what it does
    not expect gives what it found so far: positions only make messages better."""
    walk = _Walk(text)
    try:
        return walk.run()
    except (IndexError, AttributeError, ValueError, RecursionError):
        return Outline(walk.top, tuple(walk.keys.items()))


class _Walk:
    def __init__(self, text: str) -> None:
        self.text, self.line, self.last = text, 1, 0
        self.line_start = 0   # offset of the first character of line ``self.line``
        self.decoder = json.JSONDecoder()
        self.top: Place = (1, 1)
        self.keys: dict[str, Place] = {}
        self.cells: list[Place] = []
        self.sources: list[Place | None] = []

    def at(self, i: int) -> Place:
        """Line and column of offset ``i``; offsets come in increasing order, and each
        call looks only at the text since the last (a notebook saved on one line would
        otherwise be scanned back to its start for every cell)."""
        newlines = self.text.count("\n", self.last, i)
        if newlines:
            self.line += newlines
            self.line_start = self.text.rfind("\n", self.last, i) + 1
        self.last = i
        return self.line, i - self.line_start + 1

    def run(self) -> Outline:
        i = self.ws(0)
        self.top = self.at(i)
        if self.text[i] == "{":
            self.members(i, self.top_value)
        return Outline(self.top, tuple(self.keys.items()), tuple(self.cells),
                       tuple(self.sources))

    def top_value(self, key: str, i: int) -> int:
        self.keys[key] = self.at(i)
        if key != "cells" or self.text[i] != "[":
            return self.skip(i)
        self.cells, self.sources = [], []   # json keeps a repeated key's last value
        return self.elements(i, self.cell)

    def cell(self, i: int) -> int:
        self.cells.append(self.at(i))
        self.sources.append(None)
        if self.text[i] != "{":
            return self.skip(i)

        def value(key: str, j: int) -> int:
            if key == "source":   # a list's first line, which Jupyter puts on a line of its own
                first = self.ws(j + 1) if self.text[j] == "[" else j
                self.sources[-1] = self.at(first if self.text[first] != "]" else j)
            return self.skip(j)
        return self.members(i, value)

    # ---- JSON's grammar, for text that json.loads accepted ----

    def ws(self, i: int) -> int:
        return _WS.match(self.text, i).end()

    def skip(self, i: int) -> int:
        c = self.text[i]
        if c == '"':
            return _STRING.match(self.text, i).end()
        if c in "[{":
            return self.decoder.raw_decode(self.text, i)[1]
        return _SCALAR.match(self.text, i).end()

    def members(self, i: int, value) -> int:
        """The object at ``i``: ``value(key, offset)`` is called for each member and returns
        where that value ends; the object's end is returned."""
        i = self.ws(i + 1)
        while self.text[i] != "}":
            m = _STRING.match(self.text, i)
            key = json.loads(m.group()) if m.end() - i < 200 else ""
            i = self.ws(self.ws(m.end()) + 1)          # past the ':'
            i = self.ws(value(key, i))
            if self.text[i] == ",":
                i = self.ws(i + 1)
        return i + 1

    def elements(self, i: int, value) -> int:
        i = self.ws(i + 1)
        while self.text[i] != "]":
            i = self.ws(value(i))
            if self.text[i] == ",":
                i = self.ws(i + 1)
        return i + 1
