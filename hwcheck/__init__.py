"""hwcheck: a command-line verifier for deep-learning homework.

``hwcheck.check`` and ``hwcheck.problems`` (the Python API, ``hwcheck.api``) are loaded on
first use, so ``import hwcheck`` stays cheap for the command line.
"""

__version__ = "0.1.0"

_API = ("check", "problems", "Checker", "CheckResult")


def __getattr__(name):
    if name in _API:
        from hwcheck import api

        return getattr(api, name)
    raise AttributeError(f"module 'hwcheck' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
