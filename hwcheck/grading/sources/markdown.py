"""Markdown documents (.md): answers under an HTML-comment marker, which renders as nothing.

    ---
    student: ada
    ---
    <!-- hwcheck: p1.dL/dS -->
    $$\\frac{1}{4} g_{\\lceil d/2 \\rceil, \\lceil e/2 \\rceil}$$

The answer is what follows the marker on its own line, else the block that starts on the
next line: a ``$$ … $$`` or ``\\[ … \\]`` math block, a fenced ``` block (its inside), or a
paragraph (up to a blank line or the next marker). A blank line right after the marker
means no answer (a template's empty place). ``student`` and ``indexing`` go in a
YAML front matter, or under markers ``<!-- hwcheck: student -->`` like any answer.
Positions are the line and column where the answer starts.
"""

from __future__ import annotations

import re
from pathlib import Path

from hwcheck.errors import AnswerError, HwcheckError
from hwcheck.grading.sources import (MAX_TAGGED, Tagged, check_size, read_bytes, sheet,
                                     text_node)

MAX_MD = 4 * 2**20
MARKER = re.compile(r"<!--\s*hwcheck\s*:\s*(?P<tag>\S*?)\s*-->")
_FENCE = re.compile(r"\s{0,3}(`{3,}|~{3,})")
_CLOSERS = {"$$": "$$", "\\[": "\\]"}


def read(path: str | Path, specs: dict, display: str | None = None):
    name = display or str(path)
    text = read_bytes(path, name, MAX_MD, "Markdown document")
    lines = text.replace("\r\n", "\n").split("\n")
    tagged = _front_matter(lines, name)
    i, fence = 0, None
    while i < len(lines):
        line = lines[i]
        f = _FENCE.match(line)
        if f and (fence is None or f.group(1)[0] == fence[0] and len(f.group(1)) >= len(fence)):
            fence = None if fence else f.group(1)   # markers inside code blocks are text
        m = _marker(line) if fence is None else None
        i += 1
        if not m:
            continue
        tag = m.group("tag")
        where = f"line {i} (hwcheck: {tag[:40]})"
        rest = line[m.end():]
        if rest.strip():
            body, at, col = rest.strip(), i, m.end() + len(rest) - len(rest.lstrip()) + 1
        else:
            body, at, col, i = _block(lines, i, name, where)
        check_size(body, name, at, col, where)
        tagged.append(Tagged(tag, text_node(body, name, at, col), where))
        if len(tagged) > MAX_TAGGED:
            break   # `sheet` refuses it; reading the rest would only cost time
    return sheet(name, tagged, specs)


def _marker(line: str):
    """The line's marker, unless it is shown as code (inside `…`)."""
    for m in MARKER.finditer(line):
        if line.count("`", 0, m.start()) % 2 == 0:
            return m
    return None


#: what only an answer starts with: math, a fenced block, a list or a number (not prose,
#: such as the template's next "**B**: …")
_ANSWER_START = re.compile(r"\s*(?:\$|\\\[|```|~~~|\[|[-+\u2212]?\d)")


def _block(lines: list[str], i: int, name: str, where: str):
    """The block after a marker line: (text, its line, its column, the next line index).
    Blank lines may stand between the marker and an answer that is plainly one."""
    j = i
    while j < len(lines) and not lines[j].strip():
        j += 1
    if j > i and j < len(lines) and _ANSWER_START.match(lines[j]) and not _marker(lines[j]):
        i = j
    if i == len(lines) or not lines[i].strip() or _marker(lines[i]):   # no answer
        return "", i, 1, i
    first = lines[i].strip()
    col = len(lines[i]) - len(lines[i].lstrip()) + 1
    fence = _FENCE.match(lines[i])
    opener = next((o for o in _CLOSERS if first.startswith(o)), None)
    if fence:
        mark = fence.group(1)
        for j in range(i + 1, len(lines)):
            if lines[j].strip().startswith(mark[0] * len(mark)) and not lines[j].strip(
                    ).strip(mark[0]):
                return "\n".join(lines[i + 1:j]).strip(), i + 2, 1, j + 1
        _unclosed(name, i, col, where, mark)
    if opener:
        closer = _CLOSERS[opener]
        if first.endswith(closer) and len(first) >= 2 * len(opener):
            return first, i + 1, col, i + 1
        for j in range(i + 1, len(lines)):
            if closer in lines[j]:
                return "\n".join(lines[i:j + 1]).strip(), i + 1, col, j + 1
        _unclosed(name, i, col, where, opener)
    j = i
    while j < len(lines) and lines[j].strip() and not _marker(lines[j]):
        j += 1
    return "\n".join(ln.strip() for ln in lines[i:j]), i + 1, col, j


def _unclosed(name, i, col, where, opener):
    raise AnswerError(f"{where}: the block opened with {opener} is never closed", file=name,
                      line=i + 1, col=col, hint=f"close it with {_CLOSERS.get(opener, opener)}")


def _front_matter(lines: list[str], name: str) -> list[Tagged]:
    """``student`` and ``indexing`` from a YAML front matter (``---`` … ``---``)."""
    if not lines or lines[0].strip() != "---":
        return []
    end = next((j for j in range(1, min(len(lines), 200)) if lines[j].strip() in ("---", "...")),
               None)
    if end is None or end == 1:
        return []
    from hwcheck.spec.yamlio import load_text

    try:
        root = load_text("\n" * 1 + "\n".join(lines[1:end]), name)
    except HwcheckError as exc:
        raise AnswerError(f"front matter: {exc.message}", file=name, line=exc.line,
                          col=exc.col, hint=exc.hint) from None
    out = []
    for key, node in root.items():
        if key in ("student", "indexing"):
            value = node.value if node.kind == "scalar" else None
            shown = value if isinstance(value, str) else str(value) if value is not None \
                and not isinstance(value, bool) else ""
            out.append(Tagged(key, text_node(shown, name, node.line, node.col),
                              f"line {node.line} (front matter)"))
    return out
