"""Conceptual (free-text) parts (p2, p6's explanation): the rubric is the key.

Suggested points come from the rubric's key points: a point counts when one of its synonyms
appears in the answer and is not negated just before it. A person reviews every text part.
"""

from __future__ import annotations

import re

NEGATIONS = ("not", "no", "never", "without", "isn't", "doesn't", "don't", "cannot", "can't")
_WORD = re.compile(r"[a-z0-9<>=.'-]+")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def found(text: str, synonym: str):
    """Where ``synonym`` stands in ``text`` as a term of its own (no letter or digit just
    before or after it): each start, left to right, none overlapping, as
    ``re.finditer(r"(?<![a-z0-9])SYNONYM(?![a-z0-9])")`` finds them. (String search: a
    pattern per synonym cost a one-file grade ~2 ms of compiling.)"""
    size, at = len(synonym), text.find(synonym)
    while at != -1:
        end = at + size
        if (at == 0 or text[at - 1] not in _ALNUM) and \
                (end == len(text) or text[end] not in _ALNUM):
            yield at
            at = text.find(synonym, end if size else at + 1)
        else:
            at = text.find(synonym, at + 1)


def matched_points(answer: str, rubric) -> list[tuple[object, str | None]]:
    """For each rubric point, the synonym that matched (None if none did)."""
    text = " ".join(_WORD.findall(answer.lower()))
    matched = []
    for point in rubric:
        hit = None
        for syn in point.synonyms:
            for at in found(text, syn):
                before = text[max(0, at - 25): at].split()[-3:]
                if not any(w in NEGATIONS for w in before):
                    hit = syn
                    break
            if hit:
                break
        matched.append((point, hit))
    return matched


def suggested_points(answer: str, rubric, max_points: float) -> float:
    got = sum(p.points for p, hit in matched_points(answer, rubric) if hit)
    return float(min(got, max_points))
