"""Shared pieces of the readers: precedences, operator tables and the value a rule returns."""

from __future__ import annotations


from hwcheck.formula.limits import MAX_LENGTH
from hwcheck.frozen import frozen

MAX_OUTPUT = 4 * MAX_LENGTH
ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5

# Explicit products: `*`-like ones are always elementwise, `\cdot`-like ones follow the
# homework's writing, where a dot or juxtaposition between matrices is a matrix product.
ELEMENTWISE = {"*", ".*", "odot", "circ", "ast"}
DOT_LIKE = {"cdot", "times", "bullet"}
COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "=": "==", "!=": "!=",
           "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=",
           "geqslant": ">=", "lt": "<", "gt": ">", "ne": "!=", "neq": "!="}
ATOM_CMDS = {"frac", "dfrac", "tfrac", "cfrac", "sqrt", "lceil", "lfloor", "sum", "exp", "ln",
             "log", "sigma", "tanh", "max", "min", "pi", "indicator"}
LOGIC = {"and": "and", "or": "or", "land": "and", "wedge": "and", "lor": "or", "vee": "or"}


@frozen
class V:
    """A read subexpression: canonical ``text``, its precedence, rank and, for a bare
    symbol or a sum, what later rules need (``name``; ``gen``: body and clauses)."""

    text: str
    prec: int = ATOM
    rank: int = 0
    name: str | None = None
    gen: tuple | None = None


def wrap(v: V, prec: int) -> str:
    return v.text if v.prec >= prec else f"({v.text})"

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "tau", "phi", "varphi", "chi",
         "psi", "omega", "Delta", "Theta", "Lambda", "Phi", "Psi", "Omega", "Gamma"}
