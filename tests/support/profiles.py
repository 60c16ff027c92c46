"""Hypothesis profiles, registered and loaded by tests/conftest.py.

Pick one with HYPOTHESIS_PROFILE=<name>:

- ``default``: derandomised, so every run draws the same examples and a failure is the same
  failure on every machine; 100 examples unless a test asks for its own count.
- ``slow``: ten times the examples, freshly random on every run, printing the reproduction
  blob of a failure. For hunting bugs, not for CI.
- ``ci``: ``default`` that also prints the reproduction blob of a failure in the log.

A test with a count of its own writes ``@settings(max_examples=examples(40))``, so that the
``slow`` profile scales it too.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

BASE = 100                         # hypothesis's own default, which ``default`` keeps
_PROFILES = {
    "default": dict(max_examples=BASE, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large]),
}
_PROFILES["slow"] = {**_PROFILES["default"], "max_examples": 10 * BASE, "derandomize": False,
                     "print_blob": True}
_PROFILES["ci"] = {**_PROFILES["default"], "print_blob": True}


def load() -> str:
    for name, values in _PROFILES.items():
        settings.register_profile(name, **values)
    name = os.environ.get("HYPOTHESIS_PROFILE", "default")
    if name not in _PROFILES:
        raise ValueError(f"HYPOTHESIS_PROFILE={name!r} is not one of {sorted(_PROFILES)}")
    settings.load_profile(name)
    return name


def examples(n: int) -> int:
    """``n`` examples under ``default``, scaled like the loaded profile's own count."""
    return max(1, n * settings.default.max_examples // BASE)
