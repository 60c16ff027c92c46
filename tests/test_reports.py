"""Grade report renderers (hwcheck.report.*): goldens for every format, the stable JSON
keys, escaping of hostile student text, and atomic --output writes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest
from rich.cells import cell_len
from rich.console import Console

from hwcheck.errors import HwcheckError
from hwcheck.report import csv_report, github, grade_json, grade_text, gradescope, junit
from hwcheck.report.output import write_atomic
from hwcheck.grading.results import (Counterexample, EntryMismatch, Note, Notice, PartResult,
                                     ProblemResult, Submission)
from tests.support.golden import assert_golden

# ---- fixtures: the seed submission as the grader would report it, and a small batch ----

KEY_VALUES = ("0.99138", "-0.00862", "0.02291", "s[i,j]*(1-s[i,j])")


def seed_submission() -> Submission:
    p5 = ProblemResult("p5", "One SGD step through softmax", 0.0, 7.0, (
        PartResult("W", "wrong", 0.0, 4.0,
                   feedback="Drops the softmax cross term: ∂E/∂z₁ is q₁ − p₁, not −p₁(1−q₁).",
                   diagnosis="softmax-diagonal-only", line=7, col=6,
                   answer_value=((1.0016, 0.0016), (0.0, -1.0)),
                   expected=((0.99138, -0.00862), (0.0, -1.0)),
                   details=(EntryMismatch((1, 1), 1.0016, 0.99138),),
                   feedback_reveals_key=True),
        PartResult("B", "wrong", 0.0, 3.0, feedback="Same slip as in W.",
                   diagnosis="softmax-diagonal-only", line=8, col=6,
                   answer_value=(0.0016, 0.0), expected=(-0.00862, 0.0)),
    ), line=6)
    p3 = ProblemResult("p3", "Parameter count of a CNN", 5.0, 5.0, (
        PartResult("params", "correct", 5.0, 5.0, line=5, col=5, answer_value=513466.0,
                   expected=513466.0),), line=5)
    p2 = ProblemResult("p2", "One-stage detectors and NMS", 0.0, 6.0, (
        PartResult("one_stage_advantages", "needs_review", 0.0, 3.0,
                   feedback="Mentions speed; does not mention a single forward pass.",
                   line=10, col=3, answer="They are faster: there is no proposal stage.",
                   suggested=2.0),
        PartResult("why_nms", "missing", 0.0, 3.0, feedback="No answer given."),
    ), line=9)
    p1 = ProblemResult("p1", "Conv → sigmoid → avg-pool gradients", 4.0, 12.0, (
        PartResult("dL/dS", "correct", 4.0, 4.0, line=13, col=10,
                   answer="g[ceil(d/2), ceil(e/2)] / 4"),
        PartResult("dL/dC", "invalid", 0.0, 4.0,
                   feedback="unknown name 'f'; did you mean 's'?\nexpected a formula in x s c g",
                   line=14, col=10, answer="f(c[d,e]) * g[d,e]"),
        PartResult("dL/dK", "wrong", 0.0, 4.0,
                   feedback="Indexes f'(c) at i+u-1 instead of i; reads outside C.",
                   diagnosis="indices-off-by-one", line=15, col=10,
                   answer="sum(x[i+u-1, j+v-1] * g[ceil(i/2), ceil(j/2)]/4 * "
                          "s[i+u-1,j+v-1]*(1-s[i+u-1,j+v-1]) for i in 1..2n for j in 1..2m)",
                   expected=((0.0107, 0.02291), (-0.0031, 0.0044)),
                   details=(Counterexample("instance n=2, m=3, k=3", (("u", 1), ("v", 2)),
                                           0.01342, 0.02291),)),
    ), seed=4242, line=12)
    return Submission("examples/seed-answers.yaml", "ada", 9.0, 30.0, (p5, p3, p2, p1),
                      notices=(Notice("unknown key 'p55'", line=20, col=1,
                                      hint="did you mean 'p5'?"),))


def batch() -> list[Submission]:
    bob = Submission("submissions/bob.yaml", "bob", 12.0, 12.0, (
        ProblemResult("p5", "One SGD step through softmax", 7.0, 7.0, (
            PartResult("W", "correct", 4.0, 4.0, line=3),
            PartResult("B", "correct", 3.0, 3.0, line=4))),
        ProblemResult("p3", "Parameter count of a CNN", 5.0, 5.0, (
            PartResult("params", "correct", 5.0, 5.0, line=2),)),
    ))
    eve = Submission("submissions/eve.yaml", None, 0.0, 0.0,
                     error="submissions/eve.yaml:3:1: duplicate key 'p5' (first at line 1)")
    return [seed_submission(), bob, eve]


HOSTILE = ("\x1b[31mred\x07 \n::set-output name=x::y ::error::pwned [bold]markup[/bold] "
           "=cmd|' /C calc'!A0 %0A :smile:")


def hostile_submission() -> Submission:
    part = PartResult("W", "wrong", 0.0, 4.0, feedback=HOSTILE, line=3, col=4,
                      answer=HOSTILE, details=(Note(HOSTILE),), diagnosis="sign-flipped")
    review = PartResult("why", "needs_review", 0.0, 2.0, feedback=HOSTILE, answer=HOSTILE,
                        suggested=1.0, line=5)
    missing = PartResult("B", "missing", 0.0, 3.0, feedback="No answer given.")
    problem = ProblemResult("p5", "One SGD step", 0.0, 9.0, (part, review, missing), line=2)
    return Submission("=cmd|' /C calc'!A0.yaml", "=cmd|' /C calc'!A0", -1.0, 9.0, (problem,),
                      notices=(Notice(f"unknown key '{HOSTILE}'", line=9, col=1,
                                      hint=HOSTILE),))


def text_of(subs, **kw) -> str:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    grade_text.render(subs, console, **kw)
    return console.file.getvalue()


def parts_of(subs):
    return [p for s in subs for pr in s.problems for p in pr.parts]


# ---- goldens ---------------------------------------------------------------------------

GOLDEN_CASES = {
    "grade_one.txt": lambda: text_of([seed_submission()]),
    "grade_one_hidden.txt": lambda: text_of([seed_submission()], hide_expected=True),
    "grade_batch.txt": lambda: text_of(batch(), file_name_root="submissions/"),
    "grade_one.json": lambda: grade_json.render([seed_submission()]),
    "grade_batch.json": lambda: grade_json.render(batch()),
    "grade_batch.junit.xml": lambda: junit.render(batch()),
    "grade_one.gradescope.json": lambda: gradescope.render([seed_submission()]),
    "grade_batch.github.txt": lambda: github.render(batch()),
    "grade_batch.csv": lambda: csv_report.render(batch()),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(request, name):
    assert_golden(request, name, GOLDEN_CASES[name]())


# ---- text ------------------------------------------------------------------------------

@pytest.mark.parametrize("subs", [[seed_submission()], batch(), [hostile_submission()],
                                  [hostile_submission(), *batch()]])
@pytest.mark.parametrize("hide", [False, True])
def test_text_fits_80_columns(subs, hide):
    for line in text_of(subs, hide_expected=hide).splitlines():
        assert cell_len(line) <= 80, line


def test_text_one_submission_shows_everything():
    out = text_of([seed_submission()])
    assert out.index("examples/seed-answers.yaml:20:1: unknown key 'p55' "
                     "(hint: did you mean 'p5'?)") < out.index("p5: One SGD step")
    for wanted in ("p5: One SGD step through softmax  0/7", "softmax-diagonal-only",
                   "suggested 2 of 3", "counterexample", "✗ missing", "✗ invalid",
                   "✓ correct", "? review", "expected"):
        assert wanted in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Total 9/30")
    assert "3 wrong" in summary and "1 review" in summary and "seed 4242" in summary


def test_text_hide_expected_reveals_no_key():
    out = text_of([seed_submission()], hide_expected=True)
    assert "expected a formula" in out                 # an invalid part's own message
    assert "expected" not in out.replace("expected a formula", "")
    for value in KEY_VALUES:
        assert value not in out


def test_text_batch_has_verdicts_and_class_summary():
    out = text_of(batch(), file_name_root="submissions/")
    assert "✓ bob.yaml (bob)  12/12" in out
    assert "eve.yaml  error: " in out
    assert "failing: p5 W, p5 B" in out
    assert "CLASS SUMMARY" in out and "3 submissions: 2 graded, 1 error" in out
    assert re.search(r"p5 One SGD step through softmax\s+3\.5\s+7\s+2", out)
    assert re.search(r"softmax-diagonal-only\s+2\s+p5 W", out)


# ---- JSON ------------------------------------------------------------------------------

STABLE_TOP = {"file", "student", "score", "max_score", "problems"}
STABLE_PROBLEM = {"id", "score", "max_score", "parts"}
STABLE_PART = {"name", "status", "score", "max_score", "feedback", "diagnosis", "line"}
EXTRA_TOP, EXTRA_PROBLEM = {"notices"}, {"title", "seed", "line"}
EXTRA_PART = {"col", "answer", "expected", "details", "suggested", "answer_value",
              "expected_value", "rubric", "counterexample", "read_as", "notes", "precision"}


def test_json_keys_are_the_stable_ones():
    doc = json.loads(grade_json.render([seed_submission()]))
    assert STABLE_TOP <= doc.keys() <= STABLE_TOP | EXTRA_TOP
    assert doc["score"] == 9.0 and isinstance(doc["score"], float)
    for problem in doc["problems"]:
        assert STABLE_PROBLEM <= problem.keys() <= STABLE_PROBLEM | EXTRA_PROBLEM
        assert isinstance(problem["max_score"], float)
        for part in problem["parts"]:
            assert STABLE_PART <= part.keys() <= STABLE_PART | EXTRA_PART
            assert part["status"] in ("correct", "wrong", "invalid", "missing", "needs_review")
            assert isinstance(part["score"], float) and isinstance(part["max_score"], float)
    w = doc["problems"][0]["parts"][0]
    assert (w["diagnosis"], w["line"], w["status"]) == ("softmax-diagonal-only", 7, "wrong")
    assert doc["notices"] == [{"message": "unknown key 'p55'", "line": 20, "col": 1,
                               "hint": "did you mean 'p5'?"}]


def test_json_batch_and_error_rows():
    doc = json.loads(grade_json.render(batch()))
    assert list(doc) == ["submissions"]
    assert [s["file"] for s in doc["submissions"]] == [s.file for s in batch()]
    error = doc["submissions"][2]
    assert error == {"file": "submissions/eve.yaml", "error": batch()[2].error}


def test_json_hide_expected():
    doc = json.loads(grade_json.render([seed_submission()], hide_expected=True))
    text = json.dumps(doc)
    assert '"expected' not in text and '"want"' not in text and '"rubric"' not in text
    dk = doc["problems"][3]["parts"][2]
    # where a counterexample is stays; its values go (with a slip, "yours" gives the key)
    assert dk["details"] == ["counterexample: instance n=2, m=3, k=3, at u=1, v=2"]
    assert dk["counterexample"] == {"instance": "instance n=2, m=3, k=3",
                                    "at": {"u": 1, "v": 2}, "got": None}
    w = doc["problems"][0]["parts"][0]
    assert "q₁ − p₁" not in w["feedback"] and w["diagnosis"] == "softmax-diagonal-only"
    assert w["answer_value"] == [[1.0016, 0.0016], [0.0, -1.0]]
    for value in KEY_VALUES:
        assert value not in text


# ---- JUnit -----------------------------------------------------------------------------

def test_junit_one_testcase_per_part():
    subs = batch()
    root = ET.fromstring(junit.render(subs))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites][:4] == [
        "examples/seed-answers.yaml:p5", "examples/seed-answers.yaml:p3",
        "examples/seed-answers.yaml:p2", "examples/seed-answers.yaml:p1"]
    graded = [s for s in suites if s.find("testcase/error") is None]
    cases = [c for s in graded for c in s.findall("testcase")]
    assert len(cases) == len(parts_of(subs))
    w = cases[0]
    assert (w.get("classname"), w.get("name")) == ("p5", "W")
    assert w.find("failure").get("type") == "wrong"
    review = [c for c in cases if c.find("skipped") is not None]
    assert [c.get("name") for c in review] == ["one_stage_advantages"]
    assert review[0].find("skipped").get("message") == "needs review"
    failures = [c.find("failure").get("type") for c in cases if c.find("failure") is not None]
    assert sorted(failures) == ["invalid", "missing", "wrong", "wrong", "wrong"]
    errors = root.findall("testsuite/testcase/error")
    assert len(errors) == 1 and "duplicate key" in errors[0].get("message")
    assert root.get("tests") == str(len(cases) + 1) and root.get("errors") == "1"


# ---- Gradescope ------------------------------------------------------------------------

def test_gradescope_results_json():
    doc = json.loads(gradescope.render(batch()))   # only the first submission counts
    assert doc["score"] == 9.0 and "examples/seed-answers.yaml" in doc["output"]
    assert len(doc["tests"]) == len(parts_of([seed_submission()]))
    for test in doc["tests"]:
        assert {"name", "score", "max_score", "status", "output"} <= test.keys()
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] == "visible"
    by_name = {t["name"]: t for t in doc["tests"]}
    review = by_name["p2 one_stage_advantages"]
    assert (review["score"], review["status"]) == (0.0, "failed")
    assert review["output"].startswith("Needs review by course staff (suggested 2 of 3 points)")
    assert by_name["p3 params"]["status"] == "passed"
    assert sum(t["score"] for t in doc["tests"]) == doc["score"]


def test_gradescope_error_and_hidden():
    doc = json.loads(gradescope.render([batch()[2]]))
    assert doc["score"] == 0.0 and doc["tests"] == [] and "duplicate key" in doc["output"]
    text = gradescope.render([seed_submission()], hide_expected=True)
    for value in KEY_VALUES:
        assert value not in text


# ---- GitHub ----------------------------------------------------------------------------

def test_github_annotations():
    lines = github.render(batch()).splitlines()
    failing = [p for p in parts_of(batch()) if p.status in ("wrong", "invalid", "missing")]
    assert len([ln for ln in lines if ln.startswith("::error file=examples")]) == len(failing)
    assert lines[0].startswith("::warning file=examples/seed-answers.yaml,line=20,col=1,")
    assert "::error file=examples/seed-answers.yaml,line=7,col=6,title=p5 W::wrong" in lines[1]
    # a missing part points at its problem's line
    assert any(ln.startswith("::error file=examples/seed-answers.yaml,line=9,title=p2 why_nms::")
               for ln in lines)
    assert sum(ln.startswith("::notice ") for ln in lines) == 1
    assert lines[-1] == ("::error file=submissions/eve.yaml::submissions/eve.yaml:3:1: "
                         "duplicate key 'p5' (first at line 1)")


def test_github_escaping_rules():
    line = github.command("error", "50% done\r\nnext", file="a,b:c.yaml", line=3, title="p5 W")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,title=p5 W::50%25 done%0Anext"


# ---- CSV -------------------------------------------------------------------------------

def test_csv_rows():
    rows = list(csv.reader(io.StringIO(csv_report.render(batch()))))
    assert rows[0] == ["file", "student", "p5", "p3", "p2", "p1", "total", "max_score", "error"]
    assert rows[1] == ["examples/seed-answers.yaml", "ada", "0", "5", "0", "4", "9", "30", ""]
    assert rows[2] == ["submissions/bob.yaml", "bob", "7", "5", "", "", "12", "12", ""]
    assert rows[3][0] == "submissions/eve.yaml" and rows[3][-1].endswith("(first at line 1)")
    assert rows[3][2:-1] == [""] * 6


# ---- hostile student text --------------------------------------------------------------

def test_injection_text_plain():
    out = text_of([hostile_submission()])
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold]markup[/bold]" in out and "\\x1b[31mred\\x07" in out
    assert ":smile:" in out
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())


def test_injection_text_colour_is_only_rich_styles():
    console = Console(file=io.StringIO(), width=80, color_system="truecolor",
                      force_terminal=True)
    grade_text.render([hostile_submission()], console)
    out = console.file.getvalue()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x1b" not in plain and "\x07" not in plain
    assert "\\x1b[31mred\\x07" in plain          # shown, not obeyed
    assert "[bold]markup[/bold]" in plain          # printed, not interpreted


def test_injection_github():
    out = github.render([hostile_submission()])
    lines = out.splitlines()
    # one warning for the notice, one error for W, one notice for the review, one for B
    assert len(lines) == 4
    assert [ln.split(" ", 1)[0] for ln in lines] == ["::warning", "::error", "::notice",
                                                      "::error"]
    for line in lines:
        assert line.startswith(("::error file=", "::warning file=", "::notice file="))
        command, _, data = line.partition("::")[2].partition("::")
        assert "::" not in data, data
        assert "\x1b" not in line and "\x07" not in line and "\r" not in line
    assert "%250A" in out                       # a literal %0A stays literal
    assert "file='=cmd|' /C calc'!A0.yaml" not in out
    assert "::set-output" not in out and "::error::pwned" not in out


def test_injection_csv():
    rows = list(csv.reader(io.StringIO(csv_report.render([hostile_submission()]))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0.yaml"
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert rows[1][-3] == "-1"                   # a negative score stays a number
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
    subs = [Submission(name, name, 0.0, 1.0) for name in ("+1+1", "@SUM(A1)", "\tx", "-2+3",
                                                          "-5", "ok")]
    cells = [r[1] for r in csv.reader(io.StringIO(csv_report.render(subs)))][1:]
    assert cells == ["'+1+1", "'@SUM(A1)", "' x", "'-2+3", "-5", "ok"]


def test_injection_xml_and_json():
    xml = junit.render([hostile_submission()])
    root = ET.fromstring(xml)                     # well-formed
    assert len(root.findall("testsuite/testcase")) == 3
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", xml)
    for text in (grade_json.render([hostile_submission()]),
                 gradescope.render([hostile_submission()])):
        assert "\x1b" not in text and "\x07" not in text
        doc = json.loads(text)
        assert doc
    doc = json.loads(grade_json.render([hostile_submission()]))
    assert doc["problems"][0]["parts"][0]["answer"] == HOSTILE   # data, faithfully


# ---- write_atomic ----------------------------------------------------------------------

def leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_write_atomic_writes_and_replaces(tmp_path):
    target = tmp_path / "results.json"
    write_atomic(target, "first\n")
    assert target.read_text() == "first\n"
    write_atomic(str(target), "second ✓\n")
    assert target.read_text(encoding="utf-8") == "second ✓\n"
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX links")
def test_write_atomic_refuses_symlink(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("keep me\n")
    link = tmp_path / "out.json"
    link.symlink_to(secret)
    with pytest.raises(HwcheckError) as err:
        write_atomic(link, "overwritten\n")
    assert "is a symbolic link; refusing to write through it" in err.value.message
    assert err.value.hint == "remove the link or choose another path"
    assert link.is_symlink() and secret.read_text() == "keep me\n"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    with pytest.raises(HwcheckError):
        write_atomic(dangling, "x")
    assert not (tmp_path / "nowhere.txt").exists()
    assert leftovers(tmp_path) == []


def test_write_atomic_leaves_nothing_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "report.xml"
    target.write_text("old\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(HwcheckError) as err:
        write_atomic(target, "new\n")
    assert "No space left on device" in err.value.message
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []
    monkeypatch.undo()
    with pytest.raises(UnicodeEncodeError):            # a lone surrogate cannot be UTF-8
        write_atomic(target, "bad \ud800\n")
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_write_atomic_missing_folder_and_folder_target(tmp_path):
    with pytest.raises(HwcheckError) as err:
        write_atomic(tmp_path / "no" / "such" / "out.csv", "x")
    assert "does not exist" in err.value.message and err.value.hint
    with pytest.raises(HwcheckError) as err:
        write_atomic(tmp_path, "x")
    assert "is a folder" in err.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_write_atomic_gives_a_normal_file_mode(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
