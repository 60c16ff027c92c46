"""Tokens of what a student writes: LaTeX commands, everyday ASCII and canonical notation.

One linear scan, no backtracking regex, so hostile text costs time in proportion to its
length. Font and sizing wrappers (``\\mathbf{W}``, ``\\left(``, ``\\,``) are dissolved here,
so the reader only ever sees names, numbers, operators and meaningful commands.
"""

from __future__ import annotations

import re

from hwcheck.errors import FormulaError
from hwcheck.frozen import frozen

NUM, NAME, CMD, OP, END = "num", "name", "cmd", "op", "end"

# `1..n` keeps its dots; `1e3` is a number, `2e` is 2 times e.
_NUMBER = re.compile(r"[0-9]+(?:\.(?!\.)[0-9]*)?(?:[eE][-+]?[0-9]+)?"
                     r"|\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_DIGITS = "0123456789"
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_TWO = ("**", "..", ".*", "==", "<=", ">=", "!=", "\\\\")
_ONE = "+-*/^_'(),[]{}=<>|.@&:;!"
# Wrappers whose braces hold a name or a word: the wrapper itself means nothing here.
_WORD_WRAPPERS = {"text", "textrm", "textit", "textbf", "mathrm", "mathbf", "mathit", "mathsf",
                  "operatorname", "boldsymbol", "bm", "mathnormal", "textsf", "mathtt", "vec"}
# `\mathbb{1}`, `\mathds{1}`, `\mathbf{1}`, `\mathbb{I}`: the indicator of what follows.
_BLACKBOARD = {"mathbb", "mathbbm", "mathds"}
_INDICATORS = _BLACKBOARD | {"mathbf", "boldsymbol", "bm"}
_INDICATOR = re.compile(r" *(?:\{ *(1|I) *\}|(1))(?![0-9])")
# Commands that only size, space or style: dropped.
_IGNORED = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
            "biggl", "biggr", "Biggl", "Biggr", "displaystyle", "textstyle", "limits",
            "nolimits", ",", ";", ":", "!", " ", "middle", "mathstrut"}
_ESCAPED = {"{": "(", "}": ")", "|": "||", "_": "_", "%": "%", "&": "&", "#": "#"}


@frozen
class Token:
    """One token of a formula as written, with its offset."""

    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "\\":
            i = _command(text, i, out)
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            out.append(Token(NUM, m.group(), i))
            i = m.end()
        elif ch.isascii() and ch.isalpha():
            m = _WORD.match(text, i)
            out.append(Token(NAME, m.group(), i))
            i = m.end()
        elif text.startswith(_TWO, i):
            out.append(Token(OP, text[i:i + 2], i))
            i += 2
        elif ch in _ONE:
            out.append(Token(OP, ch, i))
            i += 1
        else:
            what = "a control character" if ord(ch) < 32 or ord(ch) == 127 else repr(ch)
            raise FormulaError(f"{what} (U+{ord(ch):04X}) cannot be read in "
                               "a formula", col=i + 1,
                               hint="write it in plain ASCII or LaTeX, e.g. `*` for a product")
    out.append(Token(END, "", n))
    return out


def _command(text: str, i: int, out: list[Token]) -> int:
    m = re.compile(r"[A-Za-z]+").match(text, i + 1)
    if not m:
        if i + 1 >= len(text):
            raise FormulaError("a lone backslash ends the formula", col=i + 1,
                               hint="remove it, or finish the LaTeX command")
        ch = text[i + 1]
        if ch in _ESCAPED:
            if _ESCAPED[ch] in "()":
                out.append(Token(OP, _ESCAPED[ch], i))
            elif ch == "|":
                out.append(Token(CMD, "|", i))
            else:
                out.append(Token(OP, ch, i))
        elif ch == "\\":
            out.append(Token(OP, "\\\\", i))
        elif ch not in _IGNORED:
            raise FormulaError(f"`\\{ch}` cannot be read in a formula", col=i + 1,
                               hint="remove it")
        return i + 2
    name, end = m.group(), m.end()
    if name in _IGNORED:
        if name in ("left", "right", "middle", "bigl", "bigr", "Bigl", "Bigr") \
                and text.startswith(".", end):
            end += 1  # `\left.` is an invisible bracket
        return end
    if name in ("quad", "qquad"):  # a wide space separates a domain clause
        out.append(Token(OP, ";", i))
        return end
    one = _INDICATOR.match(text, end)
    if one and name in _INDICATORS and (one.group(1) == "1" or name in _BLACKBOARD):
        out.append(Token(CMD, "indicator", i))  # `\mathbb{1}[z > 0]`, `\mathbf{1}_{…}`
        return one.end()
    if name in _WORD_WRAPPERS:
        if text.startswith("*", end):   # `\operatorname*{argmax}`: limits below, same name
            end += 1
        return _wrapped_word(text, name, i, end, out)
    if name == "argmax":              # `\argmax` (a common macro)
        out.append(Token(NAME, name, i))
        return end
    if name == "max" and out and out[-1].kind == CMD and out[-1].text == "arg":
        out[-1] = Token(NAME, "argmax", out[-1].pos)   # `\arg\max` is one operator
        return end
    out.append(Token(CMD, name, i))
    return end


def _wrapped_word(text: str, name: str, start: int, i: int, out: list[Token]) -> int:
    """``\\mathbf{W}`` → W, ``\\text{ for }`` → for, ``\\mathsf T`` → T."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] != "{":
        m = _WORD.match(text, i)
        if m:
            out.append(Token(NAME, m.group()[0], i))
            return i + 1
        return i
    close = text.find("}", i)
    if close < 0:
        raise FormulaError(f"`\\{name}{{` is never closed", col=start + 1,
                           hint="close it with `}`")
    inner = text[i + 1:close]
    if "{" in inner or "\\" in inner:
        # `\mathbf{\hat W}`, nested groups: read the inside as ordinary tokens.
        out.extend(Token(t.kind, t.text, t.pos + i + 1) for t in tokenize(inner)[:-1])
        return close + 1
    words = inner.split()
    if len(words) == 1 and _WORD.fullmatch(words[0]):
        out.append(Token(NAME, words[0], i + 1 + inner.index(words[0])))
    elif words:
        out.extend(Token(t.kind, t.text, t.pos + i + 1) for t in tokenize(inner)[:-1])
    return close + 1
