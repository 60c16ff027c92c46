"""Limits on formulas. Student formulas are untrusted, so every resource is capped up front.

Each limit is a module constant so that callers (and tests) can quote it in messages.
"""

from __future__ import annotations

from hwcheck.formula.notation import MAX_LENGTH

# AST expression nodes after the notation rewrite. The longest seed formula (dL/dK) has ~70;
# 300 leaves room for honest answers and refuses machine-made ones such as `1+1+...+1`.
MAX_NODES = 300

# Nesting depth of the tree. The checker and evaluator recurse ~2 frames per level, so this
# keeps them far from Python's recursion limit. Real formulas are rarely deeper than 15, but
# a written-out sum `a+b+c+...` costs one level per term.
MAX_DEPTH = 100

# `a ** b` with |b| larger than this is refused. A constant exponent is checked when the
# formula is parsed (so `9**9**9` never runs); a computed one when it is evaluated.
MAX_EXPONENT = 64

# Integer literals above this are refused: they are typos or attacks, never homework.
MAX_INT = 10**15

# Values one intermediate array (or one sum's broadcast) may hold; checked before numpy
# allocates. 2e7 float64 values are 160 MB. dL/dK at n = m = 32, k = 5 needs ~1e5.
MAX_ELEMENTS = 20_000_000

# Values all intermediates of one evaluation may hold together: a work budget. One array
# under MAX_ELEMENTS is cheap, but 60 of them (`exp(i)+exp(i)+...` over a huge range) hold a
# grader for a minute. dL/dK at n = m = 32, k = 5 uses ~1e7.
MAX_WORK = 100_000_000

__all__ = ["MAX_LENGTH", "MAX_NODES", "MAX_DEPTH", "MAX_EXPONENT", "MAX_INT", "MAX_ELEMENTS",
           "MAX_WORK"]
