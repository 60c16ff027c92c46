"""Answers from documents: notebooks, LaTeX and Markdown, read into the YAML reader's model.

Each format is one ``Source`` row in ``SOURCES`` (suffix → reader). A reader finds the
tagged places in its document (``Tagged``: a tag such as ``p5.W``, the answer as a ``Node``,
and where it was), and ``sheet`` turns them into the same ``AnswerSheet`` that
``grading.answers.read_answers`` makes from YAML, so every answer format and diagnosis works
unchanged. Nothing in a document is ever run.

A tag is ``PROBLEM.PART`` (``p1.dL/dS``), ``PROBLEM`` for a one-part problem (``p3``), or
``student`` / ``indexing`` for the two settings an answers file has at its top.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from hwcheck.errors import AnswerError, HwcheckError
from hwcheck.frozen import frozen
from hwcheck.grading.answers import META_KEYS, AnswerSheet, read_answers
from hwcheck.grading.results import Notice
from hwcheck.spec import readers
from hwcheck.spec.yamlio import Node, load_text, read_limited, resolve_scalar

MAX_ANSWER = 64 * 1024      # characters in one tagged answer; the largest key prints in ~20 KB
MAX_TAGGED = 1000           # tagged places in one document (a homework has a few dozen)
MAX_NOTICES = 30            # then one line says how many more
_LIST = re.compile(r"[\s\[\],]*\[[\s\[\],0-9eE.+\-]*\]\s*\Z")


@frozen
class Source:
    """One document format that answers can be read from, by its suffix."""

    suffix: str
    what: str             # for messages: "notebook", "LaTeX document", …
    module: str           # hwcheck.grading.sources.<module> has ``read(path, specs, display)``


SOURCES = {s.suffix: s for s in (
    Source(".ipynb", "notebook", "notebook"),
    Source(".tex", "LaTeX document", "latex"),
    Source(".md", "Markdown document", "markdown"),
)}


@frozen
class Tagged:
    """One tagged answer: ``where`` names the place for messages (``cell 7``, ``line 12``)."""

    tag: str
    node: Node
    where: str


def read_sheet(path: str | Path, specs: dict, display: str | None = None) -> AnswerSheet:
    """Any answers file: a document by its suffix, otherwise YAML."""
    source = SOURCES.get(Path(path).suffix.lower())
    if source is None:
        return read_answers(path, specs, display)
    import importlib

    module = importlib.import_module(f"hwcheck.grading.sources.{source.module}")
    return module.read(path, specs, display)


def read_bytes(path: str | Path, name: str, limit: int, what: str) -> str:
    """A student's document as text (links, FIFOs and devices refused when it is opened,
    as for a YAML answers file), refused above ``limit`` bytes before it is read whole."""
    data = read_limited(path, name, limit, what, follow_links=False, error=AnswerError)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, col = before.count("\n") + 1, len(before) - before.rfind("\n")
        raise AnswerError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", file=name,
                          line=line, col=col, hint="save the file as UTF-8") from None


def text_node(text: str, file: str, line: int, col: int) -> Node:
    """Prose, math or a formula: graded like a quoted YAML string."""
    return Node("scalar", text, line, col, file, quoted=True)


def data_node(text: str, file: str, line: int, col: int) -> Node:
    """A literal (a number or a nested list): graded like the same YAML value, so each
    entry's written precision counts; anything else is graded as text."""
    s = text.strip()
    if _LIST.match(s):
        try:
            node = load_text(s, file)
        except HwcheckError:
            return text_node(s, file, line, col)
        return _moved(node, line, col)
    value = resolve_scalar(s)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Node("scalar", value, line, col, file, text=s if isinstance(value, float) else "")
    return text_node(s, file, line, col)


def _moved(node: Node, line: int, col: int) -> Node:
    """Every position in a parsed snippet becomes the tagged place's own."""
    if node.kind == "seq":
        return replace(node, value=tuple(_moved(n, line, col) for n in node.value),
                       line=line, col=col)
    return replace(node, line=line, col=col)


def check_size(text: str, file: str, line: int, col: int, where: str) -> None:
    if len(text) > MAX_ANSWER:
        raise AnswerError(f"{where}: the answer is {len(text):,} characters; the limit is "
                          f"{MAX_ANSWER:,}", file=file, line=line, col=col,
                          hint="an answer is a number, a matrix, a formula or a paragraph")


def sheet(file: str, tagged: list[Tagged], specs: dict,
          notices: list[Notice] | None = None) -> AnswerSheet:
    """Tagged answers → the AnswerSheet the grader reads. Two places with one tag are an
    error (as a duplicate YAML key is); an unknown tag is a notice, as an unknown key is."""
    notices = list(notices or [])
    answers: dict = {}
    seen: dict = {}
    lines: dict = {}
    student, indexing = None, 1
    for count, t in enumerate(tagged):
        node = t.node
        if count == MAX_TAGGED:
            raise AnswerError(f"more than {MAX_TAGGED:,} tagged answers", file=file,
                              line=node.line, col=node.col,
                              hint="tag only the cells or lines that hold answers")
        if t.tag in seen:
            raise AnswerError(f"{t.where}: tag '{t.tag}' is also on {seen[t.tag]}", file=file,
                              line=node.line, col=node.col, hint="keep only one of the two")
        seen[t.tag] = t.where
        if t.tag == "student":
            value = node.value.strip() if isinstance(node.value, str) else node.value
            if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
                raise node.error(f"{t.where}: `student` must be a name or an id",
                                 cls=AnswerError)
            student = str(value)[:200]
            continue
        if t.tag == "indexing":
            value = node.value.strip() if isinstance(node.value, str) else node.value
            if str(value) not in ("0", "1"):
                raise node.error(f"{t.where}: `indexing` is 0 (indices count from zero) or "
                                 "1 (the default)", cls=AnswerError)
            indexing = int(str(value))
            continue
        target = _target(t, specs, notices)
        if target is None:
            continue
        if target in answers:   # `p3` and `p3.params` both given
            raise AnswerError(f"{t.where}: a second answer for {target[0]}.{target[1]}",
                              file=file, line=node.line, col=node.col,
                              hint="keep only one of the two")
        answers[target] = node
        lines.setdefault(target[0], node.line)
    if len(notices) > MAX_NOTICES:
        rest = len(notices) - MAX_NOTICES
        notices = notices[:MAX_NOTICES] + [Notice(f"… and {rest:,} more like these", 0, 0)]
    return AnswerSheet(file, student, answers, lines, tuple(notices), indexing)


def _target(t: Tagged, specs: dict, notices: list) -> tuple[str, str] | None:
    """The (problem, part) a tag names, or None after a notice."""
    node = t.node
    pid, dot, part = t.tag.partition(".")
    for sid in specs:   # a problem id with a dot in it wins over the split
        if t.tag == sid or t.tag.startswith(sid + "."):
            pid, part = sid, t.tag[len(sid) + 1:]
    spec = specs.get(pid)
    if spec is None:
        notices.append(Notice(f"{t.where}: unknown problem '{_short(pid)}' in tag "
                              f"'{_short(t.tag)}'; it was not graded", node.line, node.col,
                              readers.suggest(pid, list(specs) + list(META_KEYS))))
        return None
    names = [p.name for p in spec.parts]
    if not part:
        if len(names) == 1:
            return pid, names[0]
        notices.append(Notice(f"{t.where}: {pid} has parts {', '.join(names)}; tag each "
                              f"answer with its part", node.line, node.col,
                              f"e.g. {pid}.{names[0]}"))
        return None
    if part not in names:
        notices.append(Notice(f"{t.where}: unknown part of {pid} '{_short(part)}'; it was not "
                              "graded", node.line, node.col, readers.suggest(part, names)))
        return None
    return pid, part


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"
