"""Grading results: frozen dataclasses that every report format renders.

Results hold numbers and structured details, never formatted numbers: only ``hwcheck.report``
turns them into text. Text in ``answer``, ``feedback`` and ``Note`` may echo what a student
wrote; every renderer escapes it for its own format (``hwcheck.report.textsafe`` for
terminals).

What ``--hide-expected`` withholds is decided here, on the data, by ``withhold_key``; every
renderer shows the view it returns. The rule:

- the key's value (``expected``), the key side of a mismatch or counterexample (``want``),
  a counterexample's own value (with a slip it states the key: "the sign is flipped"), and
  the rubric's key points with the synonyms that matched are withheld;
- a ``Note`` or a feedback marked ``reveals_key`` is withheld. A spec's mistake feedback is
  marked so: it is the author's prose about the key and may state it (p5's states p4's key),
  so the hidden view keeps only the mistake's name (``diagnosis``);
- hwcheck's own sentences (slips, formula errors, carry-forward, shape messages) state no
  value of the key and are shown, as are the student's own values and the scores.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Union

from hwcheck.frozen import frozen

FAILING = ("wrong", "invalid", "missing")

# A number, or nested tuples of numbers (a vector, a matrix): hashable, unlike an ndarray,
# so results stay comparable and picklable across batch workers.
Value = Union[float, tuple]

WITHHELD_FEEDBACK = "A known mistake; its explanation is withheld while the key is hidden."


def value_of(x) -> Value:
    """A float or nested tuples of floats from a number, list or numpy array."""
    return _tuples(x.tolist() if hasattr(x, "tolist") else x)


def _tuples(x) -> Value:
    return tuple(map(_tuples, x)) if isinstance(x, (list, tuple)) else float(x)


@frozen
class Note:
    """A line of prose about a part: a formula error, where it was evaluated, a spec's note."""

    text: str
    reveals_key: bool = False


@frozen
class EntryMismatch:
    """One entry of a numeric answer that is off. ``want`` is None in the hidden view."""

    index: tuple[int, ...]        # 1-based, as the homework indexes
    got: float
    want: float | None


@frozen
class MoreMismatches:
    """The mismatches not listed one by one."""

    count: int
    of: int                       # entries in the answer


@frozen
class Counterexample:
    """The first instance and element where a formula differs from the key."""

    instance: str                 # "the spec's instance (n=2, m=3, k=3)"
    at: tuple[tuple[str, int], ...]  # index name → 1-based position; () for a single value
    got: float | None             # None in the hidden view (with a slip it gives the key)
    want: float | None            # None in the hidden view


@frozen
class RubricMatch:
    """A text part's key point and the synonym of it that the answer uses (None: none)."""

    point: str
    synonym: str | None
    points: float


Detail = Union[Note, EntryMismatch, MoreMismatches, Counterexample]


@frozen
class Fingerprint:
    """Short hashes of what a part was graded against, so that a regrade can say why a
    result changed (``grading.regrade``). Withheld in the hidden view: a hash of a small
    integer key could be inverted by trying every integer."""

    key: str          # the key's value on the spec's instance (or a text part's rubric)
    tolerance: str    # the tolerance the part was compared with
    mistakes: str     # the spec's known mistakes for the part


@frozen(many=True)   # tens made for every submission
class PartResult:
    """One part's grade: status, score, feedback, diagnosis and where the answer sits."""

    name: str
    status: str                  # one of STATUSES
    score: float
    max_score: float
    feedback: str = ""
    diagnosis: str | None = None  # a slug: sign-flipped, softmax-diagonal-only, …
    line: int = 0                 # the answer's own line in the answers file (0: none)
    col: int = 0
    answer: str | None = None     # the answer as written, when it is text (formula, prose,
    #                               or input that could not be read as numbers)
    answer_value: Value | None = None  # a numeric answer as read
    expected: Value | None = None      # the key's value on the spec's instance
    details: tuple[Detail, ...] = ()
    rubric: tuple[RubricMatch, ...] = ()
    suggested: float | None = None  # rubric's suggested points for needs_review parts
    feedback_reveals_key: bool = False
    tolerance: object | None = None  # a numeric part's spec Tolerance: the precision it expects
    read_as: str | None = None    # the canonical formula graded, when it differs from answer
    notes: tuple[str, ...] = ()   # how the reader took an ambiguity; what it dropped
    fingerprint: Fingerprint | None = None


@frozen
class ProblemResult:
    """One problem's grade: its parts, in the spec's order."""

    id: str
    title: str
    score: float
    max_score: float
    parts: tuple[PartResult, ...]
    seed: int | None = None       # per-student variant seed, so a teacher can rerun it
    line: int = 0


@frozen
class Notice:
    """Something about the file rather than a part: an unknown key, a typo."""

    message: str
    line: int = 0
    col: int = 0
    hint: str | None = None


@frozen
class Submission:
    """One answers file's grade (or the error that kept it from being graded)."""

    file: str
    student: str | None
    score: float
    max_score: float
    problems: tuple[ProblemResult, ...] = ()
    notices: tuple[Notice, ...] = ()
    error: str | None = None      # the file could not be graded at all
    key_withheld: bool = False    # this is the --hide-expected view (see withhold_key)
    digest: str | None = None     # a short hash of the answers file's bytes (for regrades)
    indexing: int = 1             # the file's `indexing:`; mining re-reads formulas with it
    identity: str | None = None   # where a trusted `student` came from (--student, folder,
    #                               …); None: `student` is the file's own, untrusted claim
    cells: tuple | None = None    # a notebook's parts are at cell numbers: AnswerSheet.cells

    @property
    def failing(self) -> bool:
        return self.error is not None or any(
            p.status in FAILING for pr in self.problems for p in pr.parts)


@frozen
class ClassAnalysis:
    """What a class report shows beside the submissions: mined clusters of unexplained
    wrong answers (``grading.mining``) and, for a regrade, the changes
    (``grading.regrade``; None when there is no earlier report)."""

    clusters: tuple = ()
    changes: tuple | None = None


def withhold_key(sub: Submission) -> Submission:
    """The view of ``sub`` that ``--hide-expected`` lets a renderer show (the module's rule)."""
    if sub.key_withheld:
        return sub
    problems = tuple(replace(pr, parts=tuple(_withheld_part(p) for p in pr.parts))
                     for pr in sub.problems)
    return replace(sub, problems=problems, key_withheld=True)


def _withheld_part(part: PartResult) -> PartResult:
    details = []
    for d in part.details:
        if isinstance(d, Counterexample):
            # The formula's value there would tell the key through a slip ("the sign is
            # flipped"), on an instance whose inputs the student never saw: only where.
            details.append(replace(d, want=None, got=None))
        elif isinstance(d, EntryMismatch):
            details.append(replace(d, want=None))
        elif not (isinstance(d, Note) and d.reveals_key):
            details.append(d)
    feedback = WITHHELD_FEEDBACK if part.feedback_reveals_key and part.feedback else \
        part.feedback
    return replace(part, expected=None, details=tuple(details), rubric=(), feedback=feedback,
                   feedback_reveals_key=False, fingerprint=None)


def exit_code(submissions, min_score: float | None = None) -> int:
    """The exit code of ``grade``: 0 when nothing is wrong, missing or invalid; 1 otherwise; with
    ``min_score``, a score of at least that passes. An ungradable file counts as failing."""
    if any(s.error is not None for s in submissions):
        return 1
    if min_score is not None:
        return 0 if all(s.score >= min_score for s in submissions) else 1
    return 1 if any(s.failing for s in submissions) else 0
