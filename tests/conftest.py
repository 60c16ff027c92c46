"""Shared pytest configuration: the --update-goldens option and the hypothesis profiles."""

from __future__ import annotations

from tests.support import profiles

# Loaded here, before any test module builds a settings object that inherits from it.
PROFILE = profiles.load()


def pytest_addoption(parser):
    # Golden files (tests/goldens/) are rewritten from the current output with this flag;
    # review the diff before committing.
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/goldens/* from the current output")


def pytest_report_header(config):
    return f"hypothesis profile: {PROFILE} (set HYPOTHESIS_PROFILE to change it)"
