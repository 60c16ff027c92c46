"""Short hashes of what a result depends on: the answers file, and per part the key, the
tolerance and the spec's known mistakes. A regrade (``grading.regrade``) compares them with
an earlier report's to say why a status or score changed."""

from __future__ import annotations

import hashlib

import numpy as np

from hwcheck.errors import HwcheckError
from hwcheck.grading.results import Fingerprint
from hwcheck.spec.yamlio import read_limited

DIGITS = 12   # hex digits kept: enough to tell versions of one course's files apart
MAX_DIGESTED = 256 * 2**20   # above a notebook's own limit: a file graded is a file hashed


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGITS]


def file_digest(path) -> str | None:
    """The answers file's hash, read as the grader read it (no link followed, no FIFO
    waited on, bounded like the largest answers format), or None."""
    try:
        return _hash(read_limited(path, str(path), MAX_DIGESTED, "submission",
                                  follow_links=False))
    except HwcheckError:
        return None


def of_part(grader, spec, part, student) -> Fingerprint:
    if part.answer == "text":
        key = repr([(p.point, p.points, p.synonyms) for p in part.rubric]).encode()
    else:
        # Rounded to 12 significant digits: a solver's last-bit noise is not a new key.
        value = np.asarray(grader.key(spec, 0, student).solution.parts[part.name], dtype=float)
        key = repr((value.shape, [float(f"{x:.12g}") for x in value.ravel()])).encode()
    # Fields named, not the dataclass's repr: a new field must not look like a new tolerance.
    tol = part.tolerance or spec.tolerance
    tolerance = repr((tol.rtol, tol.atol, tol.sigfigs, tol.decimals)).encode()
    # A mistake's line is where it sits, not what it is: moving it is no change.
    mistakes = repr([(m.name, m.feedback, m.formula, m.value, m.variant)
                     for m in part.mistakes]).encode()
    return Fingerprint(key=_hash(key), tolerance=_hash(tolerance), mistakes=_hash(mistakes))
