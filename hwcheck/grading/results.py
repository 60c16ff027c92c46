"""Grading results: frozen dataclasses that every report format renders.

Text in ``answer``, ``feedback`` and ``details`` may echo what a student wrote; every
renderer escapes it for its own format (``hwcheck.report.textsafe`` for terminals).
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("correct", "wrong", "invalid", "missing", "needs_review")
FAILING = ("wrong", "invalid", "missing")


@dataclass(frozen=True)
class PartResult:
    name: str
    status: str                  # one of STATUSES
    score: float
    max_score: float
    feedback: str = ""
    diagnosis: str | None = None  # a slug: sign-flipped, softmax-diagonal-only, …
    line: int = 0                 # the answer's own line in the answers file (0: none)
    col: int = 0
    answer: str | None = None     # the student's answer, for display
    expected: str | None = None   # the key, for display (hidden with --hide-expected)
    details: tuple[str, ...] = ()  # per-entry feedback, a counterexample
    suggested: float | None = None  # rubric's suggested points for needs_review parts
    read_as: str | None = None    # the canonical formula graded, when it differs from answer
    notes: tuple[str, ...] = ()   # how the reader took an ambiguity; what it dropped


@dataclass(frozen=True)
class ProblemResult:
    id: str
    title: str
    score: float
    max_score: float
    parts: tuple[PartResult, ...]
    seed: int | None = None       # per-student variant seed, so a teacher can rerun it
    line: int = 0


@dataclass(frozen=True)
class Notice:
    """Something about the file rather than a part: an unknown key, a typo."""

    message: str
    line: int = 0
    col: int = 0
    hint: str | None = None


@dataclass(frozen=True)
class Submission:
    file: str
    student: str | None
    score: float
    max_score: float
    problems: tuple[ProblemResult, ...] = ()
    notices: tuple[Notice, ...] = ()
    error: str | None = None      # the file could not be graded at all

    @property
    def failing(self) -> bool:
        return self.error is not None or any(
            p.status in FAILING for pr in self.problems for p in pr.parts)


def exit_code(submissions, min_score: float | None = None) -> int:
    """DESIGN §2: 0 when nothing is wrong, missing or invalid; 1 otherwise; with
    ``min_score``, a score of at least that passes. An ungradable file counts as failing."""
    if any(s.error is not None for s in submissions):
        return 1
    if min_score is not None:
        return 0 if all(s.score >= min_score for s in submissions) else 1
    return 1 if any(s.failing for s in submissions) else 0
