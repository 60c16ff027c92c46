"""Numeric solvers: one module per problem kind. Pure numpy; no YAML, files or printing."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from hwcheck.frozen import frozen


@frozen
class Step:
    """One worked intermediate, in the order a student would write it."""

    name: str
    value: Any
    note: str = ""


@frozen
class Solution:
    """A solved instance.

    ``given`` holds every input value (by the spec's symbols), ``steps`` the intermediates,
    ``parts`` each part's key value, ``env`` the arrays a formula may name, and ``extra``
    kind-specific results (a layer table, Jacobian norms, a rubric).
    """

    given: dict
    steps: tuple
    parts: dict
    env: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
