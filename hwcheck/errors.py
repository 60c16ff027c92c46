"""One error family. Rendered in exactly one place: ``hwcheck.cli``."""

from __future__ import annotations


class HwcheckError(Exception):
    """A user-facing error: what went wrong, where, and how to fix it.

    ``line`` and ``col`` are 1-based; 0 means "no position".
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int = 0,
                 col: int = 0, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.hint = hint

    def located(self, file: str | None = None, line: int = 0, col: int = 0) -> "HwcheckError":
        """Fill in a position that the raiser did not know; keeps what it did know."""
        if self.file is None and file is not None:
            self.file = file
        if not self.line and line:
            self.line, self.col = line, col
        return self

    def render(self) -> str:
        """``FILE:LINE:COL: message (hint: ...)`` on one line."""
        where = ""
        if self.file is not None:
            where = self.file
            if self.line:
                where += f":{self.line}:{self.col or 1}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return " ".join(text.split("\n"))


class SpecError(HwcheckError):
    """A problem spec is malformed or describes an impossible network."""


class AnswerError(HwcheckError):
    """An answers file is malformed as a whole (a bad value only makes a part invalid)."""


class FormulaError(HwcheckError):
    """A formula is refused or cannot be evaluated."""


class UsageError(HwcheckError):
    """Bad command-line usage: an unknown problem id, a missing path."""


class CheckError(UsageError):
    """Bad input to ``hwcheck.check``: an unknown problem or part, a value of the wrong
    shape or type. In a notebook the exception's text is all the student sees, so it is
    the whole rendered line, hint included."""

    def __str__(self) -> str:
        return self.render()
