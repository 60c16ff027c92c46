"""Code shared by the test modules: helpers, goldens, gradient checks, strategies, runners.

Test modules import from here and never from each other (tests/test_support.py checks it).
"""
