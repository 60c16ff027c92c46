"""The typer-free path of a plain ``hwcheck grade FILE`` / ``hwcheck solve ID``
(``hwcheck.cli.fast``) behaves exactly as typer's parse of the same command."""

from __future__ import annotations

import inspect

import pytest

from hwcheck.cli import commands, fast, grade as grading, solve as solving
from tests.support.helpers import EXAMPLES
from tests.support.runners import run_in_process

# Each case: the plain argv (fast path), then an option spelled at its default, which
# sends the same command through typer.
CASES = [
    (["grade", EXAMPLES / "seed-answers.yaml"], ["--format", "text"]),
    (["grade", EXAMPLES / "correct-answers.yaml"], ["--format", "text"]),
    (["grade", EXAMPLES / "seed-answers.ipynb"], ["-f", "text"]),
    (["grade", EXAMPLES / "seed-answers.yaml", EXAMPLES / "correct-answers.yaml"],
     ["--format", "text"]),
    (["grade", "no-such-answers.yaml"], ["--format", "text"]),
    (["grade", EXAMPLES / "problems"], ["--format", "text"]),
    (["solve", "p5"], ["--format", "text"]),
    (["solve", "p1", "p5"], ["-f", "text"]),
    (["solve", "p99"], ["--format", "text"]),
]


@pytest.mark.parametrize("plain, option", CASES, ids=lambda c: " ".join(map(str, c))[-40:])
def test_the_fast_path_answers_as_typer_does(plain, option):
    assert fast.route([str(a) for a in plain]) is not None
    assert fast.route([str(a) for a in plain + option]) is None
    quick, typed = run_in_process(plain), run_in_process(plain + option)
    assert (quick.code, quick.stdout, quick.stderr) == (typed.code, typed.stdout,
                                                         typed.stderr)
    assert quick.stdout or quick.stderr


@pytest.mark.parametrize("argv", [[], ["grade"], ["solve"], ["list", "x"], ["grade", "-h"],
                                  ["grade", "a.yaml", "--"], ["--version"], ["grade", ""],
                                  ["template", "p1"], ["grade", "a.yaml", "-j2"]])
def test_everything_else_goes_to_typer(argv):
    assert fast.route(argv) is None


@pytest.mark.parametrize("command, body", [(commands.grade, grading.grade),
                                           (commands.solve, solving.solve)])
def test_the_fast_path_uses_the_commands_own_defaults(command, body):
    typed = inspect.signature(command).parameters
    plain = inspect.signature(body).parameters
    assert set(typed) == set(plain)
    for name, param in typed.items():
        if plain[name].default is inspect.Parameter.empty:   # the targets
            continue
        assert param.default.default == plain[name].default, name
