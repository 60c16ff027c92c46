"""Conceptual (free-text) parts (p2, p6's explanation): the rubric is the key.

Suggested points come from the rubric's key points: a point counts when one of its synonyms
appears in the answer and is not negated just before it. A person reviews every text part.
"""

from __future__ import annotations

import functools
import re

NEGATIONS = ("not", "no", "never", "without", "isn't", "doesn't", "don't", "cannot", "can't")
_WORD = re.compile(r"[a-z0-9<>=.'-]+")


@functools.lru_cache(maxsize=512)
def _pattern(synonym: str) -> re.Pattern:
    return re.compile(r"(?<![a-z0-9])" + re.escape(synonym) + r"(?![a-z0-9])")


def matched_points(answer: str, rubric) -> list[tuple[object, str | None]]:
    """For each rubric point, the synonym that matched (None if none did)."""
    text = " ".join(_WORD.findall(answer.lower()))
    found = []
    for point in rubric:
        hit = None
        for syn in point.synonyms:
            for m in _pattern(syn).finditer(text):
                before = text[max(0, m.start() - 25): m.start()].split()[-3:]
                if not any(w in NEGATIONS for w in before):
                    hit = syn
                    break
            if hit:
                break
        found.append((point, hit))
    return found


def suggested_points(answer: str, rubric, max_points: float) -> float:
    got = sum(p.points for p, hit in matched_points(answer, rubric) if hit)
    return float(min(got, max_points))
