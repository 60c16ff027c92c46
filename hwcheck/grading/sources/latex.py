"""LaTeX documents (.tex): answers marked with the macros of examples/latex/hwcheck.sty.

    \\answer{p5.W}{\\begin{bmatrix} 0.9914 & -0.0086 \\\\ 0 & -1 \\end{bmatrix}}
    \\hwcheckstudent{ada}          \\hwcheckindexing{0}

``\\answer{TAG}{ANSWER}`` (or ``\\hwcheckanswer``) typesets ANSWER unchanged, so the PDF is
the one the student would have made anyway. Comments (``%`` to the end of a line) are
skipped. ANSWER is graded as the text it is, like a quoted YAML string: LaTeX math, a
formula, a matrix, a number or prose. Positions are the line and column of ANSWER.
"""

from __future__ import annotations

import re
from pathlib import Path

from hwcheck.errors import AnswerError
from hwcheck.grading.sources import (MAX_TAGGED, Tagged, check_size, read_bytes, sheet,
                                     text_node)

MAX_TEX = 4 * 2**20
_MACRO = re.compile(r"\\(hwcheckanswer|answer|hwcheckstudent|hwcheckindexing)(?![A-Za-z@])")
_ARGS = {"hwcheckanswer": 2, "answer": 2, "hwcheckstudent": 1, "hwcheckindexing": 1}
_BRACE = re.compile(r"\\.|[{}]", re.S)
_COMMENT = re.compile(r"(?<!\\)((?:\\\\)*)%.*")


def read(path: str | Path, specs: dict, display: str | None = None):
    name = display or str(path)
    text = read_bytes(path, name, MAX_TEX, "LaTeX document").replace("\r\n", "\n")
    text = _uncommented(text)
    starts = _line_starts(text)
    tagged: list[Tagged] = []
    done = 0   # a mark inside an earlier mark's argument is part of that answer's text
    for m in _MACRO.finditer(text):
        if m.start() < done:
            continue
        macro = m.group(1)
        pos = _skip_space(text, m.end())
        if pos >= len(text) or text[pos] != "{":
            continue   # \newcommand{\answer}…, or the macro named in prose: not a mark
        args = []
        for _ in range(_ARGS[macro]):
            pos = _skip_space(text, pos)
            if pos >= len(text) or text[pos] != "{":
                line, col = _where(starts, m.start())
                raise AnswerError(f"\\{macro} needs {_ARGS[macro]} arguments in braces",
                                  file=name, line=line, col=col,
                                  hint="write \\answer{p5.W}{your answer}")
            end = _closing(text, pos, name, starts, macro)
            args.append((pos + 1, text[pos + 1:end]))
            pos = done = end + 1
        if "#" in args[0][1]:
            continue   # a macro parameter: this is inside a definition, not a mark
        if macro in ("hwcheckstudent", "hwcheckindexing"):
            tag = macro[7:]
        else:
            tag = " ".join(args[0][1].split())
        start, body = args[-1]
        lead = len(body) - len(body.lstrip())
        line, col = _where(starts, start + lead)
        where = f"line {line} (\\{macro}{{{tag[:40]}}})"
        check_size(body, name, line, col, where)
        tagged.append(Tagged(tag, text_node(body.strip(), name, line, col), where))
        if len(tagged) > MAX_TAGGED:
            break   # `sheet` refuses it; reading the rest would only cost time
    return sheet(name, tagged, specs)


def _uncommented(text: str) -> str:
    """Comments blanked out; every other character keeps its line and column."""
    return "\n".join(_COMMENT.sub(lambda m: m.group(1) + " " * (len(m.group()) - len(m.group(1))),
                                  ln) for ln in text.split("\n"))


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _closing(text: str, pos: int, name: str, starts: list, macro: str) -> int:
    """Where the group opened at ``pos`` closes; ``\\{`` and ``\\}`` are not braces."""
    depth = 0
    for m in _BRACE.finditer(text, pos):
        if m.group() == "{":
            depth += 1
        elif m.group() == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    line, col = _where(starts, pos)
    raise AnswerError(f"the brace opened here for \\{macro} is never closed", file=name,
                      line=line, col=col, hint="balance the braces { } in the answer")


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _where(starts: list[int], offset: int) -> tuple[int, int]:
    import bisect

    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1
