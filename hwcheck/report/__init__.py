"""Renderers: results in, output out. No computation happens here.

``FORMATS`` is the one list of ``grade`` report formats: the CLI's ``--format`` help, its
validation and ``render``'s dispatch all read it, and tests/test_formats.py checks each entry
renders the seed report. A new format is a module with ``render(submissions, *,
hide_expected) -> str`` and a row here.
"""

from __future__ import annotations

import importlib
import io
from dataclasses import replace

from hwcheck.frozen import frozen


@frozen
class Format:
    """One report format of ``hwcheck grade --format``."""

    name: str
    module: str            # hwcheck.report.<module>
    single: bool = False   # renders one submission only (Gradescope grades one per run)
    analysis: bool = False  # shows a ClassAnalysis (mined clusters, regrade changes)


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("text", "grade_text", analysis=True),
    Format("json", "grade_json", analysis=True),
    Format("junit", "junit"),
    Format("gradescope", "gradescope", single=True),
    Format("github", "github"),
    Format("csv", "csv_report"),
    Format("html", "html", analysis=True),
)}


def render(fmt: str, submissions, *, hide_expected: bool = False,
           file_name_root: str | None = None, console=None, analysis=None) -> str:
    """The ``grade`` report in format ``fmt``. Text is drawn on ``console`` (colour and
    width of a terminal) and captured; without one, plain text 80 columns wide.
    ``analysis`` (a ``ClassAnalysis``) goes to the formats that show one; the hidden view
    gets no mined clusters, which describe wrong answers by their distance to the key."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}")
    # Each format imports only its own renderer: rich is loaded for text alone.
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt].module}")
    extra = {}
    if FORMATS[fmt].analysis and analysis is not None:
        if hide_expected:
            analysis = replace(analysis, clusters=())
        extra["analysis"] = analysis
    if fmt != "text":
        return module.render(submissions, hide_expected=hide_expected, **extra)
    if console is None:
        from rich.console import Console

        console = Console(file=io.StringIO(), width=80, color_system=None, highlight=False,
                          emoji=False)
    with console.capture() as captured:
        module.render(submissions, console, hide_expected=hide_expected,
                      file_name_root=file_name_root, **extra)
    return captured.get()
