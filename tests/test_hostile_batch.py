"""A class with hostile submissions: every other student is still graded, and the same.

Two halves:
- a real batch through the CLI: a folder of ordinary submissions plus hostile ones (a
  runaway-but-legal formula, a huge matrix under the size cap, deep nesting, billion laughs,
  a python tag, terminal escapes and workflow commands in free text). The ordinary rows match
  grading those files alone, the hostile ones are error rows or invalid parts, nothing is
  written outside tmp_path, and no output line is a workflow command that hwcheck did not
  mean to emit;
- ``hwcheck.grading.batch.grade_many``'s per-submission limits, with a fake grader that burns CPU,
  allocates, sleeps in C or dies, and with the real grader and a runaway formula.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from hwcheck.grading import batch
from hwcheck.spec.catalog import load_catalog
from hwcheck.grading.grader import Grader
from hwcheck.report import grade_json
from hwcheck.grading.results import Submission
from tests.support.checks import CONTROL, no_workflow_commands
from tests.support.helpers import EXAMPLES, PROBLEMS, ROOT
from tests.support.runners import run_hwcheck

# Within the length and element limits (≤ 500 characters, 20,000,000 elements per sum) but
# about a minute of CPU (60 exp() over 4 × 5,000,000 elements, three instances) before the
# formula work budget (MAX_WORK) existed; it must now be refused by that budget.
RUNAWAY = "sum(" + "+".join(["exp(i)"] * 60) + " for i in 1..5000000)"
# Heavy but quick: 20,000,000 elements, a few operations (~1 s).
HEAVY = "sum(exp(i) - i for i in 1..5000000)"
# Within the work budget, and nearly all user CPU: four passes of tanh over 20,000,000 values.
# 32 nested tanh over 5M values: ~0.3 s of CPU once vectorised, well past the 0.1 s limit
# below on a loaded machine too (4 nested, ~0.08 s, sat too close to it).
TANH_CHAIN = "sum(" + "tanh(" * 32 + "i" + ")" * 32 + " for i in 1..5000000)"


def _laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\np3: *i\n"


def _deep() -> str:
    return "p5:\n" + "".join("  " * (d + 1) + f"k{d}:\n" for d in range(40)) + "  " * 41 + "1\n"


def _huge_matrix() -> str:
    row = "[" + ", ".join(["0.5"] * 120) + "]"
    return "p5:\n  W: [" + ", ".join([row] * 120) + "]\n  B: [-0.00862, 0]\n"


ORDINARY = {
    "ada.yaml": (EXAMPLES / "correct-answers.yaml").read_text(),
    "bob.yaml": (EXAMPLES / "seed-answers.yaml").read_text(),
    "carol.yaml": "student: carol\np3: 512064\np5:\n  W: [[0.99138, -0.00862], [0, -1]]\n"
                  "  B: [-0.00862, 0]\n",
    "dave.yaml": "p4:\n  dE/dz: p - q\np6:\n  jacobian: 'diag(h * (1 - h)) @ Wh'\n",
}

HOSTILE = {
    "h_formulas.yaml": (
        "student: eve\n"
        "p4:\n"
        f"  dE/dz: '{HEAVY}'\n"
        "p1:\n"
        "  dL/dS: \"__import__('os').system('touch PWNED_FORMULA')\"\n"
        "  dL/dC: \"open('PWNED_FORMULA', 'w').write('x')\"\n"
        "  dL/dK: \"(lambda: g)()\"\n"
        "p6:\n"
        "  jacobian: \"Wh.__class__.__mro__\"\n"),
    "h_huge_matrix.yaml": _huge_matrix(),
    "h_deep.yaml": _deep(),
    "h_laughs.yaml": _laughs(),
    "h_python_tag.yaml": 'p3: !!python/object/apply:os.system ["touch PWNED_TAG"]\n',
    "h_escapes.yaml": (
        'student: "mallory\\e[2J\\e]0;owned\\a"\n'
        "p2:\n"
        '  why_nms: "overlap\\n::error file=problems/p3.yaml,line=1::full marks\\n'
        '  ::set-output name=score::100\\r::add-mask::x\\v::stop-commands::tok"\n'
        '  one_stage_advantages: "\\e[31mfaster\\e[0m \\x9b2J single pass\\u202e"\n'
        '"::warning title=p55::unknown key": 1\n'
        "p3: 513466\n"),
    "h_nul.yaml": "p3: 513466\n\x00\n",
}

HOSTILE_ROWS = {
    "h_deep.yaml": "nesting is deeper than 32 levels",
    "h_laughs.yaml": "anchors (&a) are not allowed",
    "h_python_tag.yaml": "explicit tags",
    "h_nul.yaml": "NUL byte",
}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """The class folder, inside a work folder that is the CLI's cwd, HOME and TMPDIR."""
    work = tmp_path_factory.mktemp("hostile")
    sub = work / "submissions"
    sub.mkdir()
    for name, text in {**ORDINARY, **HOSTILE}.items():
        (sub / name).write_text(text, encoding="utf-8")
    (work / "tmp").mkdir()
    return work


def _cli(work: Path, *args, timeout: float = 120):
    """The CLI on the class folder, from the work folder, with HOME and TMPDIR inside it."""
    return run_hwcheck(["grade", work / "submissions", "--problems", PROBLEMS, *args],
                       cwd=work, timeout=timeout, scratch=work / "tmp",
                       env={"HOME": str(work), "TMPDIR": str(work / "tmp")})


@pytest.fixture(scope="module")
def json_run(klass):
    run = _cli(klass, "--format", "json")
    assert not run.hung and "Traceback" not in run.stdout + run.stderr, run.stderr
    return run


def _rows(run) -> dict:
    return {Path(r["file"]).name: r for r in json.loads(run.stdout)["submissions"]}


def test_every_ordinary_submission_is_graded_as_if_alone(klass, json_run):
    assert json_run.code == 1, json_run.stderr
    rows = _rows(json_run)
    assert sorted(rows) == sorted({**ORDINARY, **HOSTILE})
    grader = Grader(load_catalog(PROBLEMS).specs)
    for name in ORDINARY:
        alone = json.loads(grade_json.render([grader.grade_file(klass / "submissions" / name)]))
        row = rows[name]
        assert "error" not in row, row
        assert row["score"] == alone["score"] and row["max_score"] == alone["max_score"], name
        statuses = [(p["id"], q["name"], q["status"], q["score"])
                    for p in row["problems"] for q in p["parts"]]
        assert statuses == [(p["id"], q["name"], q["status"], q["score"])
                            for p in alone["problems"] for q in p["parts"]], name
    assert not any(q["status"] in ("wrong", "invalid", "missing")
                   for p in rows["ada.yaml"]["problems"] for q in p["parts"])


def test_hostile_submissions_are_error_rows_or_invalid_parts(json_run):
    rows = _rows(json_run)
    for name, fragment in HOSTILE_ROWS.items():
        assert "problems" not in rows[name], name
        assert fragment in rows[name]["error"], rows[name]
        assert re.match(r".*h_\w+\.yaml:\d+:\d+: ", rows[name]["error"]), rows[name]["error"]
    parts = {(p["id"], q["name"]): q for p in rows["h_formulas.yaml"]["problems"]
             for q in p["parts"]}
    assert parts[("p4", "dE/dz")]["status"] in ("wrong", "invalid")
    for key in [("p1", "dL/dS"), ("p1", "dL/dC"), ("p1", "dL/dK"), ("p6", "jacobian")]:
        assert parts[key]["status"] == "invalid", parts[key]
        assert parts[key]["score"] == 0.0
    huge = {(p["id"], q["name"]): q for p in rows["h_huge_matrix.yaml"]["problems"]
            for q in p["parts"]}
    assert huge[("p5", "W")]["status"] == "invalid"
    assert "more than 4 entries" in huge[("p5", "W")]["feedback"]
    assert huge[("p5", "B")]["status"] == "correct"      # the rest of that file still counts
    escapes = rows["h_escapes.yaml"]
    assert "error" not in escapes
    assert any("unknown problem" in n["message"] for n in escapes["notices"])
    assert [q["status"] for p in escapes["problems"] if p["id"] == "p2" for q in p["parts"]] \
        == ["needs_review", "needs_review"]


def test_nothing_is_written_outside_the_outputs(klass, json_run):
    on_disk = sorted(str(p.relative_to(klass)) for p in klass.rglob("*")
                     if ".out." not in p.name and ".err" not in p.suffix)
    assert on_disk == sorted(["submissions", "tmp"] + [f"submissions/{n}" for n in
                                                       {**ORDINARY, **HOSTILE}]), on_disk
    for where in (klass, ROOT, Path.home()):
        assert not list(where.glob("PWNED*")), where


@pytest.mark.parametrize("fmt", ["text", "github", "csv", "junit", "json"])
def test_no_output_line_is_a_forged_workflow_command(klass, fmt):
    # (gradescope takes one submission per run: a folder is a usage error, tested apart)
    report = klass / "tmp" / f"report.{fmt}"
    run = _cli(klass, "--format", fmt, "--output", report)
    assert run.code == 1 and not run.hung, run.stderr
    assert run.stdout == "" and run.stderr == "", (run.stdout, run.stderr)
    text = report.read_text(encoding="utf-8")
    report.unlink()
    assert CONTROL.search(text) is None, CONTROL.search(text)
    no_workflow_commands(text, "stdout", fmt)
    if fmt == "github":
        commands = [ln for ln in text.splitlines() if ln.startswith("::")]
        assert commands and len(commands) == len(text.splitlines())
        # the batch's error rows become error annotations too
        assert sum("h_laughs.yaml" in ln and ln.startswith("::error ") for ln in commands) == 1
    if fmt in ("text", "csv"):
        assert "::" not in text
    assert sorted(p.name for p in (klass / "tmp").iterdir()) == [], "a temporary file was left"


# ---- grade_many's limits, with a fake grader ------------------------------------------------

class FakeGrader:
    """Stands in for hwcheck.grading.grader.Grader: what it does depends on the file's name."""

    specs: dict = {}

    def warm(self, spec) -> None:
        pass

    def grade_file(self, path, display=None, identity=None) -> Submission:
        name = Path(path).stem
        if name == "cpu":                       # pure-Python loop: the interval timer fires
            x = 0
            while True:
                x += 1
        if name == "mem":                       # 4 GiB, never touched: only RLIMIT_AS stops it
            block = np.zeros(1 << 29)
            return Submission(file=str(path), student=f"allocated {block.nbytes}",
                              score=1.0, max_score=1.0)
        if name.startswith("sleep"):            # sleeps in C: no CPU, no signal
            time.sleep(float(os.environ.get("FAKE_SLEEP", "60")))
        if name == "crash":                     # the worker dies outright
            os.kill(os.getpid(), signal.SIGKILL)
        return Submission(file=display or str(path), student=name, score=1.0, max_score=1.0)


def _files(tmp_path, names):
    out = []
    for n in names:
        p = tmp_path / f"{n}.yaml"
        p.write_text("p3: 1\n")
        out.append(p)
    return out


def test_limits_turn_runaway_submissions_into_error_rows(tmp_path):
    names = ["a", "cpu", "b", "mem", "c", "sleep", "d"]
    done = []
    start = time.monotonic()
    rows = batch.grade_many(FakeGrader(), _files(tmp_path, names), jobs=2,
                            limits=batch.Limits(cpu_seconds=1, memory_mb=256, wall_seconds=3),
                            on_done=done.append)
    assert time.monotonic() - start < 60, "the batch hung"
    by_name = dict(zip(names, rows))
    assert [Path(r.file).stem for r in rows] == names, "rows are not in the order of files"
    for n in "abcd":
        assert by_name[n].error is None and by_name[n].student == n, by_name[n]
    assert "CPU-time limit" in by_name["cpu"].error
    assert "memory limit" in by_name["mem"].error
    assert "wall-clock limit" in by_name["sleep"].error
    assert sorted(Path(s.file).stem for s in done) == sorted(names), "on_done missed a row"


def test_hung_and_crashed_workers_do_not_stop_the_batch(tmp_path):
    names = ["sleep1", "a", "crash", "b", "sleep2", "c", "d", "e"]
    rows = batch.grade_many(FakeGrader(), _files(tmp_path, names), jobs=2,
                            limits=batch.Limits(cpu_seconds=5, memory_mb=256, wall_seconds=2))
    by_name = dict(zip(names, rows))
    for n in "abcde":
        assert by_name[n].error is None and by_name[n].student == n, by_name[n]
    for n in ("sleep1", "sleep2", "crash"):
        assert by_name[n].error and "limit" in by_name[n].error, by_name[n]


def test_a_small_batch_still_has_a_wall_clock_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_SLEEP", "6")
    rows = batch.grade_many(FakeGrader(), _files(tmp_path, ["a", "sleep", "b"]), jobs=2,
                            limits=batch.Limits(cpu_seconds=1, memory_mb=256, wall_seconds=1))
    assert rows[1].error and "wall-clock limit" in rows[1].error, rows[1]
    assert rows[0].error is None and rows[2].error is None


def test_a_small_batch_still_has_a_memory_limit(tmp_path):
    rows = batch.grade_many(FakeGrader(), _files(tmp_path, ["a", "mem", "b"]), jobs=2,
                            limits=batch.Limits(cpu_seconds=5, memory_mb=256, wall_seconds=10))
    assert rows[1].error and "memory limit" in rows[1].error, rows[1]


# ---- the real grader and a formula that is legal but runs away -------------------------------

@pytest.fixture(scope="module")
def runaway_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runaway")
    files = []
    for name, text in [("ada.yaml", ORDINARY["ada.yaml"]), ("runaway.yaml",
                       f"p4:\n  dE/dz: '{RUNAWAY}'\n"), ("bob.yaml", ORDINARY["bob.yaml"]),
                       ("carol.yaml", ORDINARY["carol.yaml"])]:
        (folder / name).write_text(text)
        files.append(folder / name)
    return files


def _p4(row):
    pr = next(p for p in row.problems if p.id == "p4")
    return pr.parts[0]


def test_a_runaway_formula_is_refused_by_the_work_budget_and_the_batch_goes_on(runaway_files):
    assert len(RUNAWAY) <= 500
    grader = Grader(load_catalog(PROBLEMS).specs)
    rows = batch.grade_many(grader, runaway_files, jobs=2,
                            limits=batch.Limits(cpu_seconds=30, memory_mb=1024,
                                                wall_seconds=60))
    by_name = {Path(r.file).name: r for r in rows}
    runaway = _p4(by_name["runaway.yaml"])
    assert runaway.status == "invalid" and "values of work" in runaway.feedback, runaway
    for name in ("ada.yaml", "bob.yaml", "carol.yaml"):
        assert by_name[name].error is None and by_name[name].problems, by_name[name]
        alone = grader.grade_file(next(f for f in runaway_files if f.name == name))
        assert by_name[name].score == alone.score


def test_a_heavy_formula_within_the_budget_hits_the_cpu_limit(runaway_files):
    """TANH_CHAIN is legal and under every formula limit (the work budget included), but
    costs ~0.3 s of user CPU against ~0.02 s for a whole ordinary sheet: a tight CPU-time
    limit turns that submission, and only it, into an error row. (Mostly user time, so the
    interval timer sees it; a formula whose cost is page faults would be system time.)"""
    heavy = runaway_files[1].parent / "heavy.yaml"
    heavy.write_text(f"p4:\n  dE/dz: '{TANH_CHAIN}'\n")
    grader = Grader(load_catalog(PROBLEMS).specs)
    rows = batch.grade_many(grader, [runaway_files[0], heavy, runaway_files[2]], jobs=2,
                            limits=batch.Limits(cpu_seconds=0.1, memory_mb=1024,
                                                wall_seconds=60))
    assert "CPU-time limit" in (rows[1].error or ""), rows[1]
    assert rows[0].error is None and rows[2].error is None


def test_one_file_with_a_runaway_formula_is_stopped(runaway_files):
    run = run_hwcheck(["grade", runaway_files[1], "--problems", PROBLEMS, "--format", "json"],
                      timeout=20, scratch=runaway_files[1].parent)
    assert not run.hung, "hwcheck grade FILE ran past the 20 s hang guard"
    assert run.code == 1 and "values of work" in run.stdout, (run.code, run.stderr)


# ---- issue 14: a submission is what was submitted; names never sink a batch ----------------

def _class_with_odd_entries(root: Path) -> Path:
    sub = root / "class"
    (sub / "ada").mkdir(parents=True)
    (root / "staff").mkdir()
    (root / "staff" / "key.yaml").write_text("p3: 513466\n")
    (sub / "ada" / "answers.yaml").write_text(ORDINARY["ada.yaml"])
    (sub / "bob.yaml").write_text(ORDINARY["bob.yaml"])
    (sub / "staff_link.yaml").symlink_to(root / "staff" / "key.yaml")
    (sub / "classmate.yaml").symlink_to(sub / "bob.yaml")
    (sub / "folder_link").symlink_to(root / "staff")
    (sub / "dangling.yaml").symlink_to(root / "nowhere.yaml")
    (sub / "loop.yaml").symlink_to(sub / "loop.yaml")
    (sub / "device.yaml").symlink_to("/dev/zero")
    os.mkfifo(sub / "pipe.yaml")
    return sub


def test_links_fifos_and_odd_entries_are_error_rows(tmp_path):
    sub = _class_with_odd_entries(tmp_path)
    run = run_hwcheck(["grade", sub, "--problems", PROBLEMS, "--format", "json"],
                      scratch=tmp_path)
    assert not run.hung and run.code == 1 and "Traceback" not in run.stderr, run.stderr
    rows = {str(Path(r["file"]).relative_to(sub)): r
            for r in json.loads(run.stdout)["submissions"]}
    assert sorted(rows) == sorted(["ada/answers.yaml", "bob.yaml", "staff_link.yaml",
                                   "classmate.yaml", "folder_link", "dangling.yaml",
                                   "loop.yaml", "device.yaml", "pipe.yaml"]), sorted(rows)
    assert "error" not in rows["ada/answers.yaml"] and "error" not in rows["bob.yaml"]
    for name in ("staff_link.yaml", "classmate.yaml", "folder_link", "dangling.yaml",
                 "loop.yaml", "device.yaml"):
        assert "problems" not in rows[name], rows[name]
        assert rows[name]["error"] == f"{sub / name}: is a symbolic link; links in a " \
                                      "submission are not followed", rows[name]
    assert "not a regular file" in rows["pipe.yaml"]["error"]
    assert "key.yaml" not in run.stdout, "the walk followed a link to the staff folder"


def test_a_link_or_a_folder_named_as_a_file_is_refused(tmp_path):
    sub = _class_with_odd_entries(tmp_path)
    (sub / "answers.yaml").mkdir()
    (sub / "answers.yaml" / "x.yaml").write_text(ORDINARY["ada.yaml"])
    for target, why in [(sub / "staff_link.yaml", "is a symbolic link"),
                        (sub / "answers.yaml", "is a folder, not an answers file"),
                        (sub / "pipe.yaml", "is not a regular file")]:
        run = run_hwcheck(["grade", target, "--problems", PROBLEMS], scratch=tmp_path)
        assert run.code == 2 and not run.hung, (target, run.stderr)
        assert run.stderr == f"{target}: {why}" + run.stderr.split(why, 1)[1], run.stderr
        assert run.stdout == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_answers_file_is_an_error_row(tmp_path):
    sub = tmp_path / "class"
    sub.mkdir()
    (sub / "bob.yaml").write_text(ORDINARY["bob.yaml"])
    (sub / "secret.yaml").write_text("p3: 1\n")
    (sub / "secret.yaml").chmod(0)
    run = run_hwcheck(["grade", sub, "--problems", PROBLEMS, "--format", "json"],
                      scratch=tmp_path)
    rows = {Path(r["file"]).name: r for r in json.loads(run.stdout)["submissions"]}
    assert "permission denied" in rows["secret.yaml"]["error"]


HOSTILE_NAMES = [b"bad\xffname.yaml", "new\nline.yaml".encode(), b"comma,name.yaml",
                 b"colons::error title=x::y.yaml", b"esc\x1b[2Jname.yaml",
                 "bidi\u202eyaml.txt.yaml".encode(), "tag\U000e0041.yaml".encode(),
                 "caf\u00e9 \u2713.yaml".encode()]


@pytest.fixture(scope="module")
def named_class(tmp_path_factory):
    work = tmp_path_factory.mktemp("names")
    sub = work / "class"
    sub.mkdir()
    (sub / "ada.yaml").write_text(ORDINARY["ada.yaml"])
    (sub / "bob.yaml").write_text(ORDINARY["bob.yaml"])
    for name in HOSTILE_NAMES:
        with open(os.path.join(os.fsencode(sub), name), "wb") as fh:
            fh.write(b"p3: 513466\n")
    return work


def _check_names_report(fmt: str, text: str) -> None:
    assert CONTROL.search(text) is None, CONTROL.search(text)
    assert "\U000e0041" not in text and "\udcff" not in text
    no_workflow_commands(text, "stdout", fmt)
    count = len(HOSTILE_NAMES) + 2
    if fmt == "json":
        rows = json.loads(text)["submissions"]
        assert len(rows) == count and all("error" not in r for r in rows), rows
        assert sum(r["score"] == 6 for r in rows) == len(HOSTILE_NAMES)
    elif fmt == "csv":
        import csv

        rows = list(csv.reader(text.splitlines()))
        assert len(rows) == count + 1 and len(text.splitlines()) == count + 1
    elif fmt == "junit":
        import xml.etree.ElementTree as ET

        suites = ET.fromstring(text).findall("testsuite")
        assert not [s for s in suites if s.find("testcase/error") is not None]
    elif fmt == "text":
        names = ("bad", "new", "comma", "colons", "esc", "bidi", "tag", "caf")
        rows = [re.sub(r"^(✗|✓|\\u2717|\\u2713) ", "", ln) for ln in text.splitlines()]
        assert sum(r.startswith(names) for r in rows) == len(HOSTILE_NAMES), text
    shown = text.replace("\\\\", "\\") if fmt in ("json", "gradescope") else text
    assert "bad\\xffname.yaml" in shown, "a name that is not UTF-8 is shown with \\xNN"


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "csv", "github"])
def test_hostile_file_names_are_escaped_and_every_file_is_graded(named_class, fmt):
    run = run_hwcheck(["grade", named_class / "class", "--problems", PROBLEMS,
                       "--format", fmt], scratch=named_class)
    assert run.code == 1 and run.stderr == "" and not run.hung, run.stderr
    _check_names_report(fmt, run.stdout)


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "csv", "github", "gradescope"])
@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "latin-1"},
                                 {"LANG": "C", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}])
def test_every_format_works_when_stdout_is_not_utf8(named_class, tmp_path, fmt, env):
    one = tmp_path / "caf\u00e9.yaml"
    one.write_text('student: "Zo\u00eb \u2713"\np3: 1\np2:\n  why_nms: "\u00fcber \u202e"\n')
    target = one if fmt == "gradescope" else named_class / "class"
    run = run_hwcheck(["grade", target, "--problems", PROBLEMS, "--format", fmt],
                      scratch=tmp_path, env=env)
    assert run.code == 1 and run.stderr == "" and not run.hung, run.stderr
    assert run.stdout.isascii(), [c for c in run.stdout if not c.isascii()][:5]
    if fmt == "gradescope":
        doc = json.loads(run.stdout)
        assert "Zo\u00eb \u2713" in doc["output"]
    else:
        _check_names_report(fmt, run.stdout)


def test_a_class_folder_of_any_depth_is_walked(tmp_path):
    sub = tmp_path / "class"
    sub.mkdir()
    (sub / "ada.yaml").write_text(ORDINARY["ada.yaml"])
    deep = sub
    for _ in range(1100):          # deeper than Python's recursion limit (os.makedirs too)
        deep = deep / "d"
        deep.mkdir()
    (deep / "x.yaml").write_text("p3: 1\n")
    try:
        run = run_hwcheck(["grade", sub, "--problems", PROBLEMS, "--format", "json"],
                          scratch=tmp_path)
    finally:   # bottom up: pytest's own clean-up (shutil.rmtree) recurses per level
        (deep / "x.yaml").unlink()
        while deep != sub:
            deep.rmdir()
            deep = deep.parent
    assert run.code == 1 and not run.hung and "Traceback" not in run.stderr, run.stderr
    rows = json.loads(run.stdout)["submissions"]
    assert [Path(r["file"]).name for r in rows] == ["ada.yaml", "d"]
    assert "error" not in rows[0] and "nested deeper than" in rows[1]["error"]


# ---- issue 14: interruptions leave nothing behind ------------------------------------------

def _session_processes(sid: int) -> list[int]:
    """Every live process of session ``sid`` (the CLI was started as its leader)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry))
    return found


def _wait_for_sigterm_handler(pid: int) -> None:
    """Until hwcheck's own SIGTERM handler is installed (its bit in SigCgt): a hang guard
    of 20 s, not a timing assertion."""
    for _ in range(400):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return
        caught = int(next(ln for ln in status.splitlines()
                          if ln.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.05)


@pytest.fixture(scope="module")
def big_class(tmp_path_factory):
    work = tmp_path_factory.mktemp("interrupt")
    sub = work / "class"
    sub.mkdir()
    for i in range(400):
        (sub / f"s{i:03}.yaml").write_text(ORDINARY["bob.yaml" if i % 2 else "carol.yaml"])
    return work


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_batch_stops_every_worker_and_writes_nothing(big_class, signum, code):
    """Ctrl-C (SIGINT to the whole process group) or SIGTERM (to hwcheck alone) at several
    moments: start-up, warming, workers starting, grading. Each run either finished before
    the signal or stops with one line and the signal's exit code, leaving no process, no
    report and no temporary file."""
    import subprocess
    import sys

    interrupted = 0
    for delay in (0.0, 0.2, 0.5, 0.8, 1.2, 1.8):
        out = big_class / "report.json"
        proc = subprocess.Popen([sys.executable, "-m", "hwcheck", "grade", big_class / "class",
                                 "--problems", PROBLEMS, "--format", "json", "--output", out],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        _wait_for_sigterm_handler(proc.pid)    # before it, Python's defaults would act
        time.sleep(delay)
        if proc.poll() is None:
            if signum == signal.SIGINT:
                os.killpg(proc.pid, signum)      # what a terminal's Ctrl-C does
            else:
                proc.send_signal(signum)         # what `kill` or a CI cancel does
        stdout, stderr = proc.communicate(timeout=60)
        for _ in range(100):                     # a hang guard, not a timing assertion
            left = _session_processes(proc.pid)
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"processes left behind after {delay} s: {left}"
        text = stderr.decode()
        assert "Traceback" not in text and stdout == b"", text
        leftovers = sorted(p.name for p in big_class.iterdir() if p.name != "class")
        if proc.returncode == 1:                 # it finished first: a whole report
            assert leftovers == ["report.json"]
            assert len(json.loads(out.read_text())["submissions"]) == 400
            out.unlink()
            continue
        interrupted += 1
        assert proc.returncode == code, (delay, proc.returncode, text)
        assert text == ("interrupted\n" if code == 130 else "terminated\n"), text
        assert leftovers == [], f"a partial report or temporary file: {leftovers}"
    assert interrupted >= 3, "the batch finished too fast to be interrupted"


def test_an_interrupt_once_the_report_is_being_put_in_place_is_ignored(tmp_path,
                                                                      monkeypatch):
    """SIGTERM at the rename that makes the report appear (a batch finishing as CI cancels
    it): the command ends with its grade's exit code and the whole report, never
    "terminated" over a complete report. Before, the signal there exited 143."""
    from hwcheck.cli import failure
    from hwcheck.report import output
    from tests.support.runners import run_in_process

    monkeypatch.setattr(failure, "one_shot", True)   # as under cli.run: the process ends
    real = output.write_atomic

    def write(path, text, committing=None):
        def commit():
            committing()
            os.kill(os.getpid(), signal.SIGTERM)    # the worst moment, every time
        real(path, text, committing=commit)

    monkeypatch.setattr(output, "write_atomic", write)
    out = tmp_path / "report.json"
    r = run_in_process(["grade", EXAMPLES / "seed-answers.yaml", "-f", "json", "-o", out])
    assert (r.code, r.stderr) == (1, ""), r.stderr
    assert json.loads(out.read_text())["problems"]


def test_output_refuses_a_folder_that_is_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "reports").symlink_to(tmp_path / "real")
    run = run_hwcheck(["grade", EXAMPLES / "correct-answers.yaml", "--problems", PROBLEMS,
                       "--output", tmp_path / "reports" / "r.txt"], scratch=tmp_path)
    assert run.code == 2 and "is a symbolic link; refusing to write through it" in run.stderr
    assert list((tmp_path / "real").iterdir()) == []


# ---- issue 14: identity comes from the grader ------------------------------------------------

@pytest.fixture(scope="module")
def variant_course(tmp_path_factory):
    """p4 (a variant per student) asking for numbers, and ada's own numbers for it."""
    work = tmp_path_factory.mktemp("variants")
    problems = work / "problems"
    problems.mkdir()
    spec = (PROBLEMS / "p4.yaml").read_text().replace("    index: [x]\n",
                                                      "    index: [x]\n    answer: numeric\n")
    assert "answer: numeric" in spec
    (problems / "p4.yaml").write_text(spec)
    run = run_hwcheck(["solve", "p4", "--problems", problems, "--student", "ada",
                       "--format", "json"], scratch=work)
    doc = json.loads(run.stdout)
    doc = doc[0] if isinstance(doc, list) else doc
    ada = doc["parts"]["dE/dz"]["value"]
    (work / "ada.yaml").write_text(f"student: ada\np4: {ada}\n")
    return work


def _p4_part(work, *args, file="ada.yaml", env=None):
    run = run_hwcheck(["grade", work / file, "--problems", work / "problems", "--format",
                       "json", *args], scratch=work, env=env)
    assert not run.hung and "Traceback" not in run.stderr, run.stderr
    if run.code == 2:
        return run, None, None
    doc = json.loads(run.stdout)
    return run, doc["problems"][0]["parts"][0], doc


def test_without_a_trusted_identity_variant_numbers_are_not_graded(variant_course):
    run, part, doc = _p4_part(variant_course)
    assert part["status"] == "needs_review" and part["score"] == 0, part
    assert "no trusted identity" in part["feedback"]
    assert any("no trusted identity was given" in n["message"] for n in doc["notices"])


def test_the_graders_identity_keys_the_variant(variant_course):
    run, part, doc = _p4_part(variant_course, "--student", "ada")
    assert part["status"] == "correct" and doc["notices"] == [], (part, doc["notices"])
    # bob copied ada's file, `student: ada` and all: graded against bob's own variant
    run, part, doc = _p4_part(variant_course, "--student", "bob")
    assert part["status"] == "wrong" and doc["student"] == "bob", part
    assert any("says `student: ada`" in n["message"] and n["line"] == 1
               for n in doc["notices"]), doc["notices"]


def test_identity_from_ci_metadata(variant_course, tmp_path):
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"id": 1, "users": [{"email": "ada", "id": 7,
                                                    "name": "Ada"}]}))
    run, part, doc = _p4_part(variant_course, "--student-from", meta)
    assert part["status"] == "correct" and doc["student"] == "ada", part
    env = {"GITHUB_ACTOR": "mallory", "GITHUB_REPOSITORY_OWNER": "ada"}
    run, part, doc = _p4_part(variant_course, "--student-from", "github", env=env)
    assert part["status"] == "wrong" and doc["student"] == "mallory", part
    run, part, doc = _p4_part(variant_course, "--student-from",
                              tmp_path / "nowhere" / "submission_metadata.json")
    assert run.code == 2 and "no Gradescope submission metadata" in run.stderr


def test_identity_from_the_class_folder_layout(variant_course, tmp_path):
    for who in ("ada", "bob"):                 # bob submitted a copy of ada's file
        (tmp_path / "class" / who).mkdir(parents=True)
        (tmp_path / "class" / who / "answers.yaml").write_text(
            (variant_course / "ada.yaml").read_text())
    run = run_hwcheck(["grade", tmp_path / "class", "--problems", variant_course / "problems",
                       "--format", "json", "--student-from", "folder"], scratch=tmp_path)
    rows = {r["student"]: r for r in json.loads(run.stdout)["submissions"]}
    assert rows["ada"]["problems"][0]["parts"][0]["status"] == "correct"
    assert rows["bob"]["problems"][0]["parts"][0]["status"] == "wrong"


@pytest.mark.parametrize("args", [["grade", EXAMPLES / "seed-answers.yaml", "--student"],
                                  ["solve", "p4", "--student"]])
def test_escapes_in_student_never_reach_the_terminal(args, tmp_path):
    run = run_hwcheck([*args, "ev\x1b[2J\x1b]0;owned\x07il\u202e", "--problems", PROBLEMS],
                      scratch=tmp_path)
    assert CONTROL.search(run.stdout + run.stderr) is None, (run.stdout + run.stderr)[:300]
    assert "Traceback" not in run.stderr


# ---- issue 14: hidden means hidden ----------------------------------------------------------

def _wrong_answers() -> dict:
    """file name → answers text: every spec's known-wrong self-tests and mistakes, numbers
    scaled away from the key, and text that hits rubric synonyms, one file per source."""
    import yaml

    from hwcheck.kinds import solve_spec

    specs = load_catalog(PROBLEMS).specs
    files: dict = {}
    n = 0
    for spec in specs.values():
        key = solve_spec(spec).solution.parts
        for part in spec.parts:
            answers = [t.answer.plain() for t in spec.tests
                       if t.part in (part.name, None) and t.status == "wrong"]
            answers += [m.formula or m.value for m in part.mistakes if m.formula or m.value]
            if part.answer in ("numeric", "integer"):
                k = np.asarray(key[part.name], dtype=float)
                answers += [(k * 3.7 + 1.3).round(4).tolist(), (k * 1.7).round(3).tolist()]
            if part.answer == "formula":
                answers += ["0", "1 + 0"]
            if part.rubric:
                words = [s for r in part.rubric for s in r.synonyms[:1]]
                answers += [" and ".join(words), "no idea"]
            for answer in answers:
                n += 1
                doc = {spec.id: {part.name: answer} if len(spec.parts) > 1 else answer}
                files[f"w{n:03}.yaml"] = yaml.safe_dump(doc)
    return files


def _secrets() -> list[str]:
    """What a hidden report must never show: the keys' values (every instance, several
    roundings), rubric key points and reference formulas."""
    from hwcheck.kinds import instances, solve_spec
    from hwcheck.report.numbers import fmt_number

    specs = load_catalog(PROBLEMS).specs
    found: set = set()
    for spec in specs.values():
        for number in range(instances(spec)):
            solved = solve_spec(spec, None, number).solution.parts
            for value in (solved[p.name] for p in spec.parts if p.answer != "text"):
                for v in np.ravel(np.asarray(value, dtype=float)):
                    for text in (fmt_number(v, 6), f"{v:.5g}", f"{v:.4g}", repr(float(v))):
                        digits = sum(c.isdigit() for c in text.lstrip("-0."))
                        if digits >= 4:          # 0, 1, 0.5 say nothing about a key
                            found.add(text.lstrip("-"))
        for part in spec.parts:
            found.update(r.point for r in part.rubric)
            if part.reference:
                found.add(part.reference)
            found.update(m.feedback for m in part.mistakes if len(m.feedback or "") > 20)
    return sorted(found)


@pytest.fixture(scope="module")
def wrong_class(tmp_path_factory):
    work = tmp_path_factory.mktemp("hidden")
    sub = work / "class"
    sub.mkdir()
    for name, text in _wrong_answers().items():
        (sub / name).write_text(text)
    return work


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "csv", "github", "gradescope"])
def test_hidden_reports_show_no_key(wrong_class, fmt):
    files = sorted((wrong_class / "class").iterdir())
    assert len(files) >= 30
    targets = files[:12] if fmt == "gradescope" else [wrong_class / "class"]
    texts = []
    for target in targets:
        run = run_hwcheck(["grade", target, "--problems", PROBLEMS, "--format", fmt,
                           "--hide-expected"], scratch=wrong_class, timeout=120)
        assert run.code == 1 and not run.hung, run.stderr
        texts.append(run.stdout)
    text = "\n".join(texts)
    # The students' own answers are shown: none of their numbers is a key value, by
    # construction, but a wrong formula may contain a reference (dL/dC's starts with
    # dL/dS's); what a student wrote is theirs.
    written = " ".join(p.read_text() for p in files)
    flat = " ".join(text.split()).replace("\\\\", "\\")
    leaks = [s for s in _secrets() if (s in text or " ".join(s.split()) in flat)
             and s not in written]
    assert leaks == [], leaks[:10]


# ---- issue 14: reports cannot be forged -------------------------------------------------------

FORGER = ('student: "mallory' + " " * 90 + 'Total 40/40 \\u00b7 11 correct\\nada.yaml,ada,8,6,6,8,'
          '7,5,40,40,"\n'
          '"x' + " " * 70 + '\\u2713 ada.yaml (ada)  40/40": 1\n'
          '"tag\\U000E0041\\u2066": 2\n'
          'p3: 513466\n')


@pytest.fixture(scope="module")
def forged_class(tmp_path_factory):
    work = tmp_path_factory.mktemp("forged")
    sub = work / "class"
    sub.mkdir()
    (sub / "mallory.yaml").write_text(FORGER)
    (sub / "zed.yaml").write_text(ORDINARY["carol.yaml"])
    return work


def test_student_text_cannot_imitate_report_lines(forged_class):
    one = run_hwcheck(["grade", forged_class / "class" / "mallory.yaml", "--problems",
                       PROBLEMS], scratch=forged_class)
    lines = one.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("Total")] == [lines[-1]], lines
    batch_run = run_hwcheck(["grade", forged_class / "class", "--problems", PROBLEMS],
                            scratch=forged_class)
    rows = [ln for ln in batch_run.stdout.splitlines() if ln.startswith(("✓", "✗"))]
    assert len(rows) == 2 and "\U000e0041" not in batch_run.stdout, batch_run.stdout
    csv_run = run_hwcheck(["grade", forged_class / "class", "--problems", PROBLEMS,
                           "--format", "csv"], scratch=forged_class)
    import csv

    table = list(csv.reader(csv_run.stdout.splitlines()))
    assert len(table) == 3 and len(csv_run.stdout.splitlines()) == 3, csv_run.stdout
    assert all(len(r) == len(table[0]) for r in table)
    scope = run_hwcheck(["grade", forged_class / "class" / "mallory.yaml", "--problems",
                         PROBLEMS, "--format", "gradescope"], scratch=forged_class)
    output = json.loads(scope.stdout)["output"].splitlines()
    assert not [ln for ln in output[1:] if "40/40" in ln and "line " not in ln], output


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "csv", "github"])
def test_bidi_and_tag_characters_are_escaped_in_every_format(forged_class, fmt):
    run = run_hwcheck(["grade", forged_class / "class", "--problems", PROBLEMS,
                       "--format", fmt], scratch=forged_class)
    assert run.code == 1, run.stderr
    assert "\U000e0041" not in run.stdout and "\u2066" not in run.stdout
    assert CONTROL.search(run.stdout) is None


# ---- issue 14: spec mistakes are located --------------------------------------------------------

@pytest.mark.parametrize("spec, bad, where", [
    ("p4.yaml", ("index: [x]", "index: x"), "index"),
    ("p6.yaml", ("  x: {random: normal, seed: 601, shape: [T, D]}", "  x: 3"), "rnn.x"),
    ("p1.yaml", ("    shape: [2n, 2m]", "    shape: 2n"), "shape"),
])
def test_a_malformed_spec_blames_the_spec_not_each_student(tmp_path, spec, bad, where):
    problems = tmp_path / "problems"
    problems.mkdir()
    text = (PROBLEMS / spec).read_text()
    assert bad[0] in text
    (problems / spec).write_text(text.replace(bad[0], bad[1], 1))
    sub = tmp_path / "class"
    sub.mkdir()
    for name in ("ada.yaml", "bob.yaml", "carol.yaml"):
        (sub / name).write_text(ORDINARY[name])
    run = run_hwcheck(["grade", sub, "--problems", problems, "--format", "json"],
                      scratch=tmp_path)
    assert run.code == 2 and run.stdout == "", (run.code, run.stdout[:500])
    assert re.fullmatch(re.escape(str(problems / spec)) + r":\d+:\d+: [^\n]+\n", run.stderr), \
        run.stderr
    assert "internal error" not in run.stderr


def test_validate_does_not_follow_links_either(tmp_path):
    sub = _class_with_odd_entries(tmp_path)
    run = run_hwcheck(["validate", sub, "--problems", PROBLEMS], scratch=tmp_path)
    assert run.code == 2 and not run.hung, run.stderr
    for name in ("staff_link.yaml", "classmate.yaml", "folder_link", "dangling.yaml"):
        assert f"FAIL {sub / name}: is a symbolic link" in run.stdout, run.stdout
    assert "key.yaml" not in run.stdout


# ---- chunked tasks keep every file's own limits ----------------------------------------------

def test_tasks_are_chunks_only_where_there_are_many_files(monkeypatch):
    monkeypatch.setattr(batch, "CHUNK", 32)
    assert batch.chunk_size(3, 2) == 1
    assert batch.chunk_size(40, 2) == 5
    assert batch.chunk_size(1000, 2) == 32
    tasks = batch.chunks(list(range(1000)), 2)
    assert [i for t in tasks for i in t] == list(range(1000))
    assert len(tasks[0]) == 32 and len(tasks[-1]) == 1


def test_a_hang_or_crash_inside_a_chunk_costs_only_its_own_row(tmp_path, monkeypatch):
    """Files 0-39 in chunks of up to 5: a sleep and a crash each after other files of their
    chunk. Each gets its own wall-clock error row; the files before them in their chunk
    (graded, then lost with the killed worker) and after them are graded once each."""
    monkeypatch.setattr(batch, "CHUNK", 5)
    names = [f"s{i:02}" for i in range(40)]
    names[7], names[23] = "sleep", "crash"
    tasks = batch.chunks(list(range(40)), 2)
    assert all(len(t) > 1 and t[0] < i <= t[-1] for i in (7, 23) for t in tasks if i in t)
    done = []
    start = time.monotonic()
    rows = batch.grade_many(FakeGrader(), _files(tmp_path, names), jobs=2,
                            limits=batch.Limits(cpu_seconds=5, memory_mb=256,
                                                wall_seconds=2),
                            on_done=done.append)
    assert time.monotonic() - start < 60, "the batch hung"
    assert [Path(r.file).stem for r in rows] == names, "rows are not in the order of files"
    for name, row in zip(names, rows):
        if name in ("sleep", "crash"):
            assert row.error and "wall-clock limit" in row.error, row
        else:
            assert row.error is None and row.student == name, row
    assert sorted(Path(s.file).stem for s in done) == sorted(names), "on_done not once a file"


def test_a_file_still_queued_is_not_timed_as_if_it_had_started(tmp_path, monkeypatch):
    """A wall-clock limit counts from a file's own start: two slow but legal files in one
    chunk (2.4 s together, 1.2 s each, limit 2 s) pass, and with one worker the files
    queued behind them are not timed out while they wait."""
    monkeypatch.setattr(batch, "CHUNK", 2)
    monkeypatch.setenv("FAKE_SLEEP", "1.2")
    names = ["sleep1", "sleep2", "a", "b", "c", "d", "e", "f", "g"]
    rows = batch.grade_many(FakeGrader(), _files(tmp_path, names), jobs=1,
                            limits=batch.Limits(cpu_seconds=5, memory_mb=256,
                                                wall_seconds=2))
    assert all(r.error is None for r in rows), [r.error for r in rows]


@pytest.mark.parametrize("collecting", [False, True])
def test_a_batch_leaves_the_callers_garbage_collection_as_it_was(tmp_path, collecting):
    """The CLI runs without cyclic GC; a batch no longer turns it on for the rest of the
    command (rendering the report), nor off for a caller that has it on."""
    import gc

    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        rows = batch.grade_many(FakeGrader(), _files(tmp_path, ["a", "b", "c"]), jobs=2)
        assert gc.isenabled() == collecting
        assert gc.get_freeze_count() == 0, "the heap was left frozen"
    finally:
        (gc.enable if was else gc.disable)()
    assert [r.student for r in rows] == ["a", "b", "c"]
