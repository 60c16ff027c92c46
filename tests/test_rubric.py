"""The rubric's term search (grading/rubric.py): ``found`` finds what the regular
expression it replaced found, and a negation just before a synonym keeps it from counting."""

from __future__ import annotations

import random
import re

from hwcheck.grading.rubric import found, matched_points
from hwcheck.spec.load import RubricPoint


def test_found_is_the_regular_expression_it_replaced():
    """Every start, left to right, none overlapping; empty synonyms included (a spec may
    hold one), over 20,000 random texts on an alphabet of letters, digits, space and
    punctuation."""
    rng = random.Random(1)
    alphabet = "ab a1.' -"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        synonym = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
        pattern = r"(?<![a-z0-9])" + re.escape(synonym) + r"(?![a-z0-9])"
        assert list(found(text, synonym)) == [m.start() for m in re.finditer(pattern, text)]


def test_a_synonym_counts_unless_negated_just_before_it():
    point = RubricPoint("speed", 1.0, ("faster", "single pass"))
    assert matched_points("It is faster.", [point])[0][1] == "faster"
    assert matched_points("It is not faster.", [point])[0][1] is None
    assert matched_points("Not faster, but a single pass.", [point])[0][1] == "single pass"
    assert matched_points("The fasterer one.", [point])[0][1] is None   # not a term of its own
