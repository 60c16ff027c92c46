"""The bad-input corpus (tests/corpus/bad_inputs/cases.yaml), run through the real CLI.

Each case runs ``hwcheck.cli.main`` from the repository root and is checked for its exit
code, its message and position, and for what must never happen on untrusted input: a
traceback, an internal error, a raw control character, or a line that GitHub's runner would
read as a workflow command.

Most cases run in this process (``run_in_process``: about 60 ms each instead of an
interpreter start-up). A case tagged ``isolate:`` runs as ``python -m hwcheck`` in a
subprocess under a 1.5 GiB address-space limit and a hang guard, and is also checked for a
peak RSS of a few hundred MB: the cases whose point is memory, or a hang. Those subprocesses
are started together on first use, a few at a time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.support.checks import CONTROL, no_workflow_commands
from tests.support.helpers import ROOT, TESTS
from tests.support.runners import HANG_GUARD, Run, run_hwcheck, run_in_process

CORPUS = TESTS / "corpus" / "bad_inputs"
MANIFEST = CORPUS / "cases.yaml"
MAX_RSS_MB = 400                       # "a few hundred MB"
MIB = 1 << 20

CASES = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))   # trusted test data


# ---- inputs made at run time ---------------------------------------------------------------

def _huge_matrix() -> bytes:
    # 16,900 entries for a 2x2 key: far too many, yet few enough values for the reader.
    row = "[" + ", ".join(["0.5"] * 130) + "]"
    return ("p5:\n  W: [" + ", ".join([row] * 130) + "]\n").encode()


def _at_size_cap() -> bytes:
    head = b"p3: 513466\n#"
    return head + b"x" * (MIB - len(head) - 1) + b"\n"


def _notebook(cells: list) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


def _printed(text: str, tags=("hwcheck:p3",)) -> dict:
    return {"cell_type": "code", "execution_count": 1, "metadata": {"tags": list(tags)},
            "source": "print(x)",
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}


def _nb_huge_outputs() -> bytes:
    # 60 MB of plots (base64 PNG payloads) around one tagged answer: read in about a second
    plot = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "plot()",
            "outputs": [{"output_type": "display_data", "metadata": {},
                         "data": {"image/png": "iVBORw0KGgo" * 100_000,
                                  "text/plain": "<Figure size 640x480>"}}]}
    return _notebook([plot] * 30 + [_printed("513466\n")] + [plot] * 30)


GENERATORS = {
    "invalid_utf8": lambda: b"p3: 5134\xff66\n",
    "nul_byte": lambda: b"p3: 513466\np4:\n  dE/dz: q\x00 - p\n",
    "raw_escape": lambda: b'p2:\n  why_nms: "overlap \x1b[31mboxes\x1b[0m"\n',
    "raw_escape_after_non_ascii":
        lambda: 'p2:\n  why_nms: "éééééé \x1b[31mboxes"\n'.encode(),
    "over_size_cap": lambda: b"p3: 513466\n" + b"#" * MIB + b"\n",
    "at_size_cap": _at_size_cap,
    "open_brackets": lambda: b"[" * 100_000,
    "huge_matrix": _huge_matrix,
    "nb_huge_outputs": _nb_huge_outputs,
    "nb_huge_tagged_output": lambda: _notebook([_printed("1.5 " * 2_000_000)]),
    "nb_thousands_of_cells": lambda: _notebook(
        [{"cell_type": "markdown", "metadata": {}, "source": f"step {i}"} for i in range(20_000)]
        + [_printed("513466\n")]),
    # 150,000 cells on one line (json.dumps writes no newline): the cells' positions are
    # found in one pass; a column found by scanning back to the line's start was quadratic
    # and ran into the CPU limit.
    "nb_one_line_150k_cells": lambda: _notebook(
        [{"cell_type": "markdown", "metadata": {}, "source": ""}] * 150_000
        + [_printed("513466\n")]),
    "nb_tag_on_every_cell": lambda: _notebook([_printed("[[1, 0], [0, -1]]", ["hwcheck:p5.W"])]
                                              * 5_000),
    "nb_thousands_of_tags": lambda: _notebook(
        [_printed("1", [f"hwcheck:p9.part{i}"]) for i in range(3_000)]),
    "nb_deep_json": lambda: b'{"cells": ' + b"[" * 100_000,
    "tex_nested_answers": lambda: b"\\answer{p2.why_nms}{" * 3_000 + b"}" * 3_000,
    "tex_unclosed_answers": lambda: b"\\answer{p3}{{" * 200_000,
    "tex_control_characters": lambda: (b"\\hwcheckstudent{eve\x1b[2J}\n"
                                       b"\\answer{p2.why_nms}{over\x00lap \xc2\x9b boxes}\n"
                                       b"\\answer{p3\x1b[2J}{513466}\n"),
    "many_unknown_keys": lambda: b"p3: 513466\n" + b"".join(b"k%d: 1\n" % i
                                                         for i in range(3000)),
    "csv_semicolon_student":
        lambda: b'student: "x;=HYPERLINK(\\"http://evil\\")"\np3: 513466\n',
}


# ---- folder layouts, and what must hold after the run ---------------------------------------

def _empty_folder(tmp: Path) -> None:
    (tmp / "submissions").mkdir()


def _batch_with_a_broken_file(tmp: Path) -> None:
    sub = tmp / "submissions"
    sub.mkdir()
    shutil.copy(ROOT / "examples" / "correct-answers.yaml", sub / "ada.yaml")
    shutil.copy(ROOT / "examples" / "seed-answers.yaml", sub / "bob.yaml")
    (sub / "eve.yaml").write_text("p3: 513466\np5:\n  W: [[1, 0], [0, -1]\n")


def _batch_of_broken_files(tmp: Path) -> None:
    sub = tmp / "submissions"
    sub.mkdir()
    (sub / "eve.yaml").write_text("p3: [1, 2\n")
    (sub / "mallory.yaml").write_bytes(b"p3: \xff\n")


def _output_symlink(tmp: Path) -> None:
    (tmp / "target.json").write_text("keep me\n")
    (tmp / "report.json").symlink_to(tmp / "target.json")


def _output_dangling_symlink(tmp: Path) -> None:
    (tmp / "report.txt").symlink_to(tmp / "created.txt")


def _nothing(tmp: Path) -> None:
    pass


def _output_fifo(tmp: Path) -> None:
    os.mkfifo(tmp / "report.pipe")


def _output_device_node(tmp: Path) -> None:
    # A private copy of /dev/null (char 1, 3): what `--output /dev/null` would meet.
    try:
        os.mknod(tmp / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")


SETUPS = {
    "empty_folder": _empty_folder,
    "batch_with_a_broken_file": _batch_with_a_broken_file,
    "batch_of_broken_files": _batch_of_broken_files,
    "output_symlink": _output_symlink,
    "output_dangling_symlink": _output_dangling_symlink,
    "output_fifo": _output_fifo,
    "output_device_node": _output_device_node,
    "gradescope_results": _nothing,
}


def _after_empty_folder(tmp: Path, run: "Run") -> None:
    assert list((tmp / "submissions").iterdir()) == [], "an empty folder gained files"


def _after_batch_with_a_broken_file(tmp: Path, run: "Run") -> None:
    rows = {Path(r["file"]).name: r for r in json.loads(run.stdout)["submissions"]}
    assert sorted(rows) == ["ada.yaml", "bob.yaml", "eve.yaml"]
    assert "error" not in rows["ada.yaml"] and rows["ada.yaml"]["score"] > 0
    assert "error" not in rows["bob.yaml"] and rows["bob.yaml"]["problems"]
    assert "problems" not in rows["eve.yaml"]
    assert re.search(r"eve\.yaml:\d+:\d+: malformed YAML", rows["eve.yaml"]["error"])


def _after_batch_of_broken_files(tmp: Path, run: "Run") -> None:
    rows = json.loads(run.stdout)["submissions"]
    assert len(rows) == 2 and all("error" in r and "problems" not in r for r in rows)


def _after_output_symlink(tmp: Path, run: "Run") -> None:
    assert (tmp / "target.json").read_text() == "keep me\n", "the link's target was written"
    assert (tmp / "report.json").is_symlink(), "the link itself was replaced"
    assert sorted(p.name for p in tmp.iterdir()) == ["report.json", "target.json"]


def _after_output_dangling_symlink(tmp: Path, run: "Run") -> None:
    assert not (tmp / "created.txt").exists(), "the link's target was created"
    assert sorted(p.name for p in tmp.iterdir()) == ["report.txt"]


def _after_output_fifo(tmp: Path, run: "Run") -> None:
    assert stat.S_ISFIFO(os.lstat(tmp / "report.pipe").st_mode), "the FIFO was replaced"
    assert sorted(p.name for p in tmp.iterdir()) == ["report.pipe"]


def _after_output_device_node(tmp: Path, run: "Run") -> None:
    st = os.lstat(tmp / "null")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3), \
        "the device node was replaced by a regular file"
    assert sorted(p.name for p in tmp.iterdir()) == ["null"]


def _after_gradescope_results(tmp: Path, run: "Run") -> None:
    results = tmp / "results.json"
    assert results.exists(), "no results.json: Gradescope shows 'the autograder failed'"
    doc = json.loads(results.read_text())
    assert doc["score"] == 0 and "malformed YAML" in doc["output"], doc


AFTER = {
    "empty_folder": _after_empty_folder,
    "batch_with_a_broken_file": _after_batch_with_a_broken_file,
    "batch_of_broken_files": _after_batch_of_broken_files,
    "output_symlink": _after_output_symlink,
    "output_dangling_symlink": _after_output_dangling_symlink,
    "output_fifo": _after_output_fifo,
    "output_device_node": _after_output_device_node,
    "gradescope_results": _after_gradescope_results,
}


# ---- running one case ------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    run: Run
    tmp: Path                # the case's own tmp folder
    display: str | None      # the input file as it was named on the command line


def _prepare(case: dict, tmp: Path) -> tuple[list, str | None]:
    """Write the case's input and folder layout into ``tmp``; returns (args, display)."""
    tmp.mkdir(parents=True, exist_ok=True)
    display = None
    if "file" in case:
        display = f"tests/corpus/bad_inputs/{case['file']}"
    elif "generate" in case:
        path = tmp / f"{case['name']}.{case.get('suffix', 'yaml')}"
        path.write_bytes(GENERATORS[case["generate"]]())
        display = str(path)
    if "setup" in case:
        SETUPS[case["setup"]](tmp)
    args = [str(a).replace("{file}", display or "").replace("{tmp}", str(tmp))
            for a in case.get("args", ["grade", "{file}"])]
    return args, display


def _run_isolated(case: dict, tmp: Path) -> Outcome:
    args, display = _prepare(case, tmp)
    scratch = tmp / ".runs"       # the child's output files; gone before the checks look
    scratch.mkdir(exist_ok=True)
    run = run_hwcheck(args, scratch=scratch)
    shutil.rmtree(scratch)
    return Outcome(run, tmp, display)


def _run_here(case: dict, tmp: Path) -> Outcome:
    args, display = _prepare(case, tmp)
    return Outcome(run_in_process(args), tmp, display)


# ---- the checks every case gets ----------------------------------------------------------------

def _format(args: list) -> str | None:
    for flag in ("--format", "-f"):
        if flag in args and args.index(flag) + 1 < len(args):
            return args[args.index(flag) + 1]
    return "text" if args and args[0] == "grade" else None


def check_common(case: dict, run: Run) -> None:
    both = run.stdout + run.stderr
    assert not run.hung, f"{run.args} did not finish within the {HANG_GUARD:g} s hang guard"
    assert "Traceback" not in both, both[-3000:]
    assert "internal error" not in both, run.stderr
    if run.max_rss_mb is not None:
        assert run.max_rss_mb < MAX_RSS_MB, f"peak RSS {run.max_rss_mb:.0f} MB"
    for stream, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        bad = CONTROL.search(text)
        assert bad is None, f"raw control character {bad.group()!r} on {stream}"
    fmt = _format(run.args)
    no_workflow_commands(run.stdout, "stdout", fmt)
    no_workflow_commands(run.stderr, "stderr", fmt)
    # Every echo of student text is cleaned for these, so no `::` may survive at all
    # (a wrapped line could otherwise start with one).
    assert "::" not in run.stderr, run.stderr
    if fmt in ("text", "csv"):
        assert "::" not in run.stdout, [ln for ln in run.stdout.splitlines() if "::" in ln]
    for fragment in case.get("forbid", []):
        assert fragment not in both, f"{fragment!r} in the output: code ran"


def check_case(case: dict, outcome: Outcome) -> None:
    run, display = outcome.run, outcome.display
    check_common(case, run)
    allowed = case["exit"] if isinstance(case["exit"], list) else [case["exit"]]
    assert run.code in allowed, (run.code, run.stdout[-2000:], run.stderr)
    command = run.args[0] if run.args else ""
    err_lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    if command == "validate" or run.code != 2:
        assert err_lines == [], f"unexpected stderr: {run.stderr!r}"
    elif case.get("one_line", True):
        assert len(err_lines) == 1, f"stderr is not one line: {run.stderr!r}"
    if "at" in case:
        m = re.match(re.escape(display) + r":(\d+):(\d+): \S", run.stderr)
        assert m, f"no `{display}:LINE:COL: message` on stderr: {run.stderr!r}"
        if case["at"] != "any":
            assert f"{m.group(1)}:{m.group(2)}" == case["at"], run.stderr
    if case.get("where") == "file":
        named = display or next(a for a in run.args[1:] if "{" not in a and "/" in a)
        assert run.stderr.startswith(named + ": "), run.stderr
    if "stderr" in case:
        assert case["stderr"] in run.stderr, run.stderr
    if "stdout" in case:
        assert case["stdout"] in " ".join(run.stdout.split()), run.stdout[-3000:]
    for start in case.get("no_line", []):
        assert not any(ln.lstrip().startswith(start) for ln in run.stdout.splitlines()), \
            f"a line of the output starts with {start!r}"
    if "stdout_line" in case:
        want = case["stdout_line"].replace("{file}", display or "")
        assert any(ln.rstrip().startswith(want) for ln in run.stdout.splitlines()), run.stdout
    if "part" in case:
        _check_part(case["part"], json.loads(run.stdout))
    if "notice" in case:
        _check_notice(case["notice"], json.loads(run.stdout))
    if case.get("setup") in AFTER:
        AFTER[case["setup"]](outcome.tmp, run)


def _check_part(want: dict, doc: dict) -> None:
    problem = next(p for p in doc["problems"] if p["id"] == want["problem"])
    part = next(p for p in problem["parts"] if p["name"] == want["part"])
    assert part["status"] == want["status"], part
    if "feedback" in want:
        assert want["feedback"] in part["feedback"], part["feedback"]
    if "feedback_not" in want:
        assert want["feedback_not"] not in part["feedback"], part["feedback"]
    for key in ("line", "col"):
        if key in want:
            assert part[key] == want[key], (key, part)
    if part["status"] in ("invalid", "missing"):
        assert part["score"] == 0.0, part


def _check_notice(want: dict, doc: dict) -> None:
    hits = [n for n in doc["notices"] if want["message"] in n["message"]]
    assert hits, doc["notices"]
    notice = hits[0]
    if "hint" in want:
        assert want["hint"] in (notice["hint"] or ""), notice
    for key in ("line", "col"):
        if key in want:
            assert notice[key] == want[key], (key, notice)


# ---- the corpus as tests -------------------------------------------------------------------

def _param(case: dict):
    marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
    return pytest.param(case, id=case["name"], marks=marks)


@pytest.fixture(scope="module")
def isolated_runs(request, tmp_path_factory):
    """Run every selected ``isolate:`` case once, a few subprocesses at a time;
    name → Outcome (or the exception)."""
    selected = {item.callspec.params["case"]["name"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_case"
                and hasattr(item, "callspec")}
    base = tmp_path_factory.mktemp("bad_inputs")
    todo = [c for c in CASES if c["name"] in selected and "isolate" in c]

    def one(case):
        try:
            return _run_isolated(case, base / case["name"])
        except BaseException as exc:  # reported (or skipped) by the case's own test
            return exc

    workers = max(2, min(4, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip((c["name"] for c in todo), pool.map(one, todo)))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case, request, tmp_path):
    if "isolate" in case:
        outcome = request.getfixturevalue("isolated_runs")[case["name"]]
        if isinstance(outcome, BaseException):
            raise outcome
    else:
        outcome = _run_here(case, tmp_path)
    check_case(case, outcome)


# ---- the manifest itself -------------------------------------------------------------------

def test_manifest_is_consistent():
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    used = {c["file"] for c in CASES if "file" in c}
    on_disk = {p.name for p in CORPUS.iterdir() if p.name != "cases.yaml"}
    assert used <= on_disk, f"cases name missing files: {sorted(used - on_disk)}"
    assert on_disk <= used, f"files without a case: {sorted(on_disk - used)}"
    for c in CASES:
        assert set(c["exit"] if isinstance(c["exit"], list) else [c["exit"]]) <= {0, 1, 2}, c
        assert set(c) <= {"name", "file", "generate", "setup", "args", "exit", "stderr",
                          "stdout", "stdout_line", "at", "where", "part", "notice", "forbid",
                          "xfail", "one_line", "isolate", "suffix", "no_line"}, c
        assert c.get("generate", "invalid_utf8") in GENERATORS, c
        assert c.get("setup", "empty_folder") in SETUPS, c
        if "xfail" in c:
            assert c["xfail"].startswith("bug: "), c
        if "isolate" in c:
            assert isinstance(c["isolate"], str) and c["isolate"].strip(), \
                f"{c['name']}: `isolate:` says why the case needs a process of its own"
    covered = " ".join(names)
    for topic in ("empty", "comment_only", "top_level_scalar", "top_level_list",
                  "several_documents", "invalid_utf8", "nul_byte", "over_size_cap", "tabs",
                  "unclosed_bracket", "python_object_apply", "tag_binary", "tag_set",
                  "tag_custom", "billion_laughs_nine_levels", "recursive_alias", "merge_key",
                  "open_brackets_100k", "deep_nesting", "duplicate_key", "non_string_key",
                  "unknown_problem", "unknown_part", "int_5000_digits", "yaml11_no",
                  "nan_for_number", "overflow_for_number", "date_for_number",
                  "sexagesimal_for_number", "ragged_matrix", "rank3_matrix",
                  "mixed_type_matrix", "boolean_cell_matrix", "oversized_matrix",
                  "null_answer", "empty_answer", "terminal_escapes_text",
                  "terminal_escapes_json", "terminal_escapes_github", "missing_path",
                  "empty_folder", "folder_is_a_batch", "output_is_a_symlink",
                  "spec_unknown_layer", "spec_negative_kernel", "spec_collapsing_shape",
                  "spec_groups_do_not_divide", "spec_missing_input"):
        assert topic in covered, f"issue 6 asks for a case on {topic}"
    for topic in ("nb_malformed_json", "nb_huge_outputs", "nb_thousands_of_cells",
                  "nb_tag_on_every_cell", "nb_output_injection", "nb_code_is_never_run",
                  "tex_unbalanced_braces", "tex_duplicate_tag", "md_unclosed_math"):
        assert topic in covered, f"issue 13 asks for a case on {topic}"


def test_generated_inputs_have_the_intended_size():
    assert len(GENERATORS["over_size_cap"]()) > MIB
    assert len(GENERATORS["at_size_cap"]()) == MIB
    assert MIB // 2 > len(GENERATORS["huge_matrix"]()) > 80_000
    assert GENERATORS["open_brackets"]().count(b"[") == 100_000
    assert len(GENERATORS["nb_huge_outputs"]()) > 50 * MIB


# ---- a file under the size cap must also parse quickly ------------------------------------

def test_dense_file_under_the_size_cap_is_refused_by_the_value_cap():
    """A 1 MiB file of numbers is under the size cap but not a real answers file: the reader
    stops composing it at MAX_NODES values, instead of building half a million nodes."""
    from hwcheck.errors import HwcheckError
    from hwcheck.spec.yamlio import MAX_BYTES, MAX_NODES, load_text

    text = "p5:\n  W: [" + ",".join(["0"] * 400_000) + "]\n"
    assert len(text) < MAX_BYTES
    with pytest.raises(HwcheckError, match=f"more than {MAX_NODES:,} values"):
        load_text(text)
    # Under the cap, a large honest matrix still reads.
    ok = "p5:\n  W: [" + ",".join(["[" + ",".join(["0.5"] * 100) + "]"] * 100) + "]\n"
    assert load_text(ok).value["p5"].value["W"].plain()[99][99] == 0.5
