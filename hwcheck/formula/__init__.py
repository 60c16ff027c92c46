"""Safe, vectorised evaluation of the homework's index-notation formulas.

    f = parse("g[ceil(d/2), ceil(e/2)] / 4")           # FormulaError if refused
    f.names                                              # {'g', 'd', 'e'}
    evaluate(f, {"g": g}, index=[("d", 4), ("e", 6)])    # a (4, 6) float64 array

Semantics (README, "Formula notation"):
- Arrays are indexed from 1; every read is bounds-checked (``IndexOutOfRange``). An index
  must be a whole number after rounding within 1e-9; `g[d/2]` is refused with a hint.
- Output index variables (``index=``) and sum variables are broadcast axes. An expression
  that does not mention an index variable is constant along it. Whole arrays combine
  elementwise only with equal shapes or with plain numbers; use diag/outer/@/T otherwise.
- ``sum(E for i in A..B for j in C..D if COND)``: inclusive ranges; an empty range sums to
  0. A range end may depend on outer variables (output indices or earlier sum
  variables): the sum then runs over the widest range with a mask, and masked-out
  elements are neither read-checked nor counted. ``min``/``max`` take the same form.
  ``sum(array)`` with a whole array adds up its elements.
- Arithmetic is float64 under ``np.errstate(all="ignore")``: ``1/0`` is ``inf`` and
  ``log(-1)`` is ``nan``; the grader compares them like any other value.
- The result has shape ``shape`` (default: the index extents). A whole-array result must
  have exactly that shape; a scalar or indexed result is broadcast to it.
- Limits are in ``hwcheck.formula.limits``; nothing is ever passed to eval/exec/compile.
"""

from hwcheck.formula.evaluator import evaluate
from hwcheck.formula.subscripts import IndexOutOfRange
from hwcheck.formula.limits import (MAX_DEPTH, MAX_ELEMENTS, MAX_EXPONENT, MAX_INT, MAX_LENGTH,
                                    MAX_NODES)
from hwcheck.formula.syntax import FUNCTIONS, Formula, parse

__all__ = ["Formula", "parse", "evaluate", "IndexOutOfRange", "FUNCTIONS", "MAX_LENGTH",
           "MAX_NODES", "MAX_DEPTH", "MAX_EXPONENT", "MAX_INT", "MAX_ELEMENTS"]
