"""What a reader needs to know about a problem to read a student's formula."""

from __future__ import annotations

from dataclasses import field
from typing import Mapping

from hwcheck.formula.check import FUNCTIONS
from hwcheck.frozen import frozen



@frozen
class Context:
    """``symbols``: name → rank (0 scalar, 1 vector, 2 matrix); ``indices``: the part's
    output index variables; ``sizes``: size names; ``functions``: names the problem
    declares as a known function (``{"f": "sigmoid"}``); ``indexing``: 1, or 0 for a
    student who counts from zero."""

    symbols: Mapping[str, int] = field(default_factory=dict)
    indices: tuple[str, ...] = ()
    sizes: frozenset[str] = frozenset()
    functions: Mapping[str, str] = field(default_factory=dict)
    indexing: int = 1

    def __post_init__(self) -> None:
        for name, target in self.functions.items():
            if target not in FUNCTIONS:
                raise ValueError(f"function {name!r} is declared as {target!r}, which is not "
                                 f"one of {sorted(FUNCTIONS)}")
        if self.indexing not in (0, 1):
            raise ValueError(f"indexing must be 0 or 1, not {self.indexing!r}")

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.symbols) | frozenset(self.indices) | self.sizes


@frozen
class Reading:
    """What the reader made of a student's text.

    ``canonical`` is the notation the grader evaluated; ``read_as`` is it when it differs
    from what was written (else None); ``notes`` say which reading an ambiguity got and
    what was dropped (a left-hand side, a domain clause)."""

    source: str
    canonical: str
    notes: tuple[str, ...] = ()

    @property
    def read_as(self) -> str | None:
        return None if self.canonical == self.source.strip() else self.canonical
