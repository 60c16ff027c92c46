"""hwcheck: a command-line verifier for deep-learning homework."""

__version__ = "0.1.0"
