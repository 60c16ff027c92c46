"""Shared pytest configuration."""

from __future__ import annotations


def pytest_addoption(parser):
    # Golden files (tests/goldens/) are rewritten from the current output with this flag;
    # review the diff before committing.
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/goldens/* from the current output")
