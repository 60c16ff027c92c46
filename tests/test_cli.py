"""The command line: exit codes, one-line errors, help text, and the README's coverage."""

import json
import re

import pytest

from hwcheck.cli import app
from tests.support.helpers import EXAMPLES, ROOT
from tests.support.runners import run, run_hwcheck

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def test_every_command_has_help_with_examples_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert {"list", "solve", "grade", "template", "validate", "schema"} <= set(COMMANDS)
    for name in COMMANDS:
        result = run(name, "--help")
        assert result.exit_code == 0, result.output
        assert "Examples:" in result.stdout and f"hwcheck {name}" in result.stdout
        assert f"hwcheck {name}" in readme, f"README does not show `hwcheck {name}`"


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and re.match(r"hwcheck \d+\.\d+", result.stdout)


def test_no_command_prints_the_help_once_and_exits_0():
    r = run_hwcheck([])
    assert r.code == 0 and r.stdout.count("Usage:") == 1, r.stdout


def test_grade_seed_exits_1_and_correct_exits_0():
    assert run("grade", EXAMPLES / "seed-answers.yaml").exit_code == 1
    assert run("grade", EXAMPLES / "correct-answers.yaml").exit_code == 0


def test_min_score():
    assert run("grade", EXAMPLES / "seed-answers.yaml", "--min-score", "19").exit_code == 0
    assert run("grade", EXAMPLES / "seed-answers.yaml", "--min-score", "19.5").exit_code == 1


def test_grade_json_has_the_stable_keys():
    result = run("grade", EXAMPLES / "seed-answers.yaml", "--format", "json")
    doc = json.loads(result.stdout)
    assert {"file", "student", "score", "max_score", "problems"} <= set(doc)
    p5 = next(p for p in doc["problems"] if p["id"] == "p5")
    w = next(p for p in p5["parts"] if p["name"] == "W")
    assert w["status"] == "wrong" and w["diagnosis"] == "softmax-diagonal-only"
    assert w["line"] > 0


def test_malformed_answers_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("p5:\n  W: [1, 2\n")
    result = run("grade", bad)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{bad}:3:1: malformed YAML")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args, fragment", [
    (("solve", "p55"), "unknown problem 'p55' (hint: did you mean 'p5'? problems: p1, p2, p3, p4, p5, p6)"),
    (("grade", "nope.yaml"), "nope.yaml: no such file or folder"),
    (("solve", "p5", "--format", "xml"), "--format 'xml' is not one of"),
    (("list", "--problems", "nowhere"), "--problems nowhere: no such folder"),
])
def test_usage_errors_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert fragment in result.stderr


def test_solve_p3_json_and_table():
    doc = json.loads(run("solve", "p3", "--format", "json").stdout)
    assert doc["total_params"] == 513466 == doc["parts"]["params"]["value"]
    assert len(doc["layers"]) == 15
    text = run("solve", "p3").stdout
    assert "513,466" in text
    assert max(map(len, text.splitlines())) <= 80


def test_solve_works_from_any_folder(tmp_path):
    result = run("solve", "p5", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["given"]["lr"] == 0.02


def test_solve_a_spec_file(tmp_path):
    result = run("solve", ROOT / "examples" / "networks" / "lenet5.yaml", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["total_params"] == 61706


def test_malformed_spec_is_one_line_exit_2(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("id: x\nkind: param_count\nparts: {params: {quantity: total_params}}\n"
                    "network:\n  input: [3, 8, 8]\n  layers:\n    - conv2d: {out: 4, kernel: 9}\n")
    result = run("solve", spec)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and f"{spec}:7:" in result.stderr


def test_list_shows_every_problem():
    out = run("list").stdout
    for pid in ("p1", "p2", "p3", "p4", "p5", "p6"):
        assert re.search(rf"^\s*{pid}\s", out, re.M), out


def test_template_is_a_valid_answers_file(tmp_path):
    text = run("template").stdout
    path = tmp_path / "blank.yaml"
    path.write_text(text)
    result = run("grade", path, "--format", "json")
    assert result.exit_code == 1  # everything is missing
    statuses = {p["status"] for pr in json.loads(result.stdout)["problems"] for p in pr["parts"]}
    assert statuses == {"missing"}


def test_validate_the_shipped_problems():
    result = run("validate")
    assert result.exit_code == 0, result.stdout
    assert "0 failing" in result.stdout


def test_batch_with_a_corrupt_file_grades_the_rest(tmp_path):
    (tmp_path / "a.yaml").write_text((EXAMPLES / "correct-answers.yaml").read_text())
    (tmp_path / "b.yaml").write_text("p3: 513466\np3: 1\n")
    (tmp_path / "c.yaml").write_text((EXAMPLES / "seed-answers.yaml").read_text())
    result = run("grade", tmp_path, "--format", "json")
    assert result.exit_code == 1
    subs = json.loads(result.stdout)["submissions"]
    assert [s["file"].rsplit("/", 1)[-1] for s in subs] == ["a.yaml", "b.yaml", "c.yaml"]
    assert "duplicate key 'p3'" in subs[1]["error"] and "problems" not in subs[1]
    assert subs[0]["score"] > subs[2]["score"] > 0


def test_empty_folder_and_folder_as_file(tmp_path):
    result = run("grade", tmp_path)
    assert result.exit_code == 2 and "no *.yaml answers files" in result.stderr


@pytest.mark.parametrize("argv", [["grade", "examples/seed-answers.yaml"],
                                  ["grade", "examples/seed-answers.yaml", "-f", "json"]])
def test_closed_stdout_is_one_line_and_exit_2(argv):
    """`hwcheck grade FILE >&-`: Python starts with sys.stdout None; that is a usage
    error to report, not an internal error and a traceback."""
    import os
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "hwcheck", *argv], cwd=ROOT,
                          stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == ("standard output is closed "
                           "(hint: redirect it instead, e.g. > /dev/null)\n"), proc.stderr
