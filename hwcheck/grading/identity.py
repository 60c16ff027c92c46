"""Who a submission belongs to, according to the grader rather than the student.

Per-student variants are keyed by an identity the student cannot choose: ``grade --student
ID``, or the CI's own metadata (``--student-from``): Gradescope's
``/autograder/submission_metadata.json`` (outside the submission folder), GitHub's
``GITHUB_ACTOR`` (else ``GITHUB_REPOSITORY_OWNER``), or the class folder's layout (the first
folder under it, else the file's name: the LMS export names those, not the student).

The answers file's ``student:`` is only a cross-check: a notice when it disagrees. Without
a trusted identity a variant problem is not graded against a shared seed that ``solve``
prints for anyone; it says so instead.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from hwcheck.errors import UsageError
from hwcheck.frozen import frozen
from hwcheck.grading.results import Notice, ProblemResult

GRADESCOPE_METADATA = "/autograder/submission_metadata.json"
SOURCES = ("gradescope", "github", "folder")
MAX_ID = 200


@frozen
class Identity:
    """Who the grader says a submission is from, and how it knows."""

    student: str | None     # None: no trusted identity
    source: str             # where it came from, for the report ("--student", "gradescope", …)


UNTRUSTED = Identity(None, "none")


def resolve(student: str | None, source: str | None, files: list, root: str | None) -> list:
    """One Identity per entry of ``files`` (the batch's order)."""
    if student is not None and source is not None:
        raise UsageError("give --student or --student-from, not both",
                         hint="--student ID for one submission")
    if student is not None:
        if len(files) != 1:
            raise UsageError(f"--student names one student; got {len(files)} files",
                             hint="for a class folder use --student-from folder")
        return [Identity(_checked(student, "--student"), "--student")]
    if source is None:
        return [UNTRUSTED] * len(files)
    if source == "folder":
        if root is None:
            raise UsageError("--student-from folder needs one class folder",
                             hint="hwcheck grade submissions/ --student-from folder")
        return [Identity(_from_folder(getattr(f, "path", f), root), "folder") for f in files]
    if source == "github":
        who = os.environ.get("GITHUB_ACTOR") or os.environ.get("GITHUB_REPOSITORY_OWNER")
        if not who:
            raise UsageError("--student-from github: GITHUB_ACTOR is not set",
                             hint="run inside a GitHub Actions workflow, or use --student")
        return [Identity(_checked(who, "GITHUB_ACTOR"), "github")] * len(files)
    if source == "gradescope" or source.endswith(".json"):
        path = GRADESCOPE_METADATA if source == "gradescope" else source
        return [Identity(_gradescope(Path(path)), "gradescope")] * len(files)
    raise UsageError(f"--student-from {source!r} is not one of: {', '.join(SOURCES)}, "
                     "or a submission_metadata.json", hint="for example --student-from github")


def _checked(who: str, what: str) -> str:
    who = who.strip()
    if not who or len(who) > MAX_ID or not who.isprintable():
        raise UsageError(f"{what} is not a usable student id (empty, over {MAX_ID} "
                         "characters, or holding control characters)",
                         hint="an id such as ada or ada@example.edu")
    return who


def _from_folder(path: Path, root: str) -> str | None:
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        return None
    first = rel.parts[0] if len(rel.parts) > 1 else Path(rel.parts[0]).stem
    return first if first and first.isprintable() and len(first) <= MAX_ID else None


def _gradescope(path: Path) -> str:
    """The submitters' emails (ids if an email is missing), joined by ``+`` for a group."""
    try:
        import json

        doc = json.loads(path.read_text(encoding="utf-8"))
        users = doc["users"]
        ids = sorted(str(u.get("email") or u["id"]) for u in users)
    except FileNotFoundError:
        raise UsageError("no Gradescope submission metadata", file=str(path),
                         hint="--student-from gradescope runs inside Gradescope's autograder"
                         ) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise UsageError("not Gradescope submission metadata (no `users` with an `email`)",
                         file=str(path)) from None
    if not ids:
        raise UsageError("the submission metadata lists no user", file=str(path))
    return _checked("+".join(ids), "the submission metadata's user")


# ---- what the report says -----------------------------------------------------------------

def notices(identity: Identity, claimed: str | None, at: tuple, ungraded: list) -> list:
    """The cross-check of ``student:``, and the variant problems left ungraded."""
    out = []
    if identity.student is not None and claimed is not None and claimed != identity.student:
        out.append(Notice(f"the answers file says `student: {claimed}`, but the grader's "
                          f"identity ({identity.source}) is {identity.student}; graded as "
                          f"{identity.student}", *at,
                          "`student:` is only a cross-check; the grader's identity decides"))
    if ungraded:
        out.append(Notice(f"{', '.join(ungraded)}: numbers for a variant per student, and "
                          "no trusted identity was given; not graded", 0, 0,
                          "the grader passes --student ID or --student-from "
                          "gradescope|github|folder"))
    return out


UNGRADED = ("Not graded: this problem has a variant per student, and the grader gave no "
            "trusted identity (the answers file's `student:` is the student's own claim). "
            "A formula is graded on every instance; numbers hold for one variant only.")


def without_identity(problem: ProblemResult, spec) -> ProblemResult:
    """A variant problem graded without a trusted identity: a formula is checked on every
    instance and keeps its grade; numbers (right for one variant, which anyone can print
    with ``solve``) are left for a person."""
    kinds = {p.name: p.answer for p in spec.parts}
    parts = tuple(
        replace(r, status="needs_review", score=0.0, feedback=UNGRADED, diagnosis=None,
                details=(), suggested=None, feedback_reveals_key=False)
        if r.status != "missing" and (kinds[r.name] in ("numeric", "integer") or
                                      kinds[r.name] == "either" and r.answer_value is not None)
        else r for r in problem.parts)
    if parts == problem.parts:
        return problem
    return replace(problem, parts=parts, score=float(sum(p.score for p in parts)))
