"""What must never appear in hwcheck's output on untrusted input, whatever the command."""

from __future__ import annotations

import re

# Control characters that must never reach a terminal or a log (\t and \n are fine),
# and the invisible bidi and zero-width characters that reorder text on screen.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                     r"\u2060-\u2069\ufeff]")
# One `::kind props::data` line of `--format github`; props is `k=v,...` with `:` and `,`
# escaped, so a forged property cannot hide in a value.
_GITHUB = re.compile(r"::(error|warning|notice)(?: ([^:]*))?::(.*)")
_GITHUB_PROPS = {"file", "line", "col", "endLine", "endColumn", "title"}


def no_workflow_commands(text: str, stream: str, fmt: str | None) -> None:
    """No line of ``text`` is a workflow command, except hwcheck's own on github stdout."""
    for line in text.splitlines():
        # The runner trims leading blanks before it looks for `::` (ActionCommand.TryParseV2)
        # and finds `##[` anywhere in a line (ActionCommand.TryParse).
        assert "##[" not in line, f"{stream} line holds a legacy workflow command: {line!r}"
        if not line.lstrip().startswith("::"):
            continue
        assert stream == "stdout" and fmt == "github", \
            f"{stream} line starts a workflow command: {line!r}"
        m = _GITHUB.fullmatch(line)
        assert m, f"github line is not one of hwcheck's own commands: {line!r}"
        for prop in filter(None, (m.group(2) or "").split(",")):
            key, _, value = prop.partition("=")
            assert key in _GITHUB_PROPS and ":" not in value, f"forged property in {line!r}"
