"""The class report (issue 15): mined mistakes that round-trip into a spec, regrades that
say why a result changed, and an HTML page that escapes whatever students write."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sys

import numpy as np
import pytest

from hwcheck import report
from hwcheck.grading import batch
from hwcheck.grading.grader import Grader
from hwcheck.grading.mining import mine
from hwcheck.grading.results import ClassAnalysis
from hwcheck.spec.catalog import load_catalog
from tests.support.helpers import PROBLEMS, ROOT
from tests.support.htmlpage import parse
from tests.support.runners import run

sys.path.insert(0, str(ROOT / "benchmarks"))
import classgen  # noqa: E402

# p5's W after a step taken with twice the learning rate: no known mistake or slip
PLANTED = [[0.98276, -0.01724], [0, -1]]


def _plant(files, every: int) -> list:
    planted = files[3::every]
    for path in planted:
        text = re.sub(r"(?m)^  W: .*$", f"  W: {json.dumps(PLANTED)}", path.read_text())
        path.write_text(text)
    return planted


def _paste(spec_text: str, part_line: str, entry: str) -> str:
    """The entry under the part's `mistakes:` list, as a teacher pastes it; a part without
    one gets the key at the end of its block."""
    head, tail = spec_text.split(part_line, 1)
    block = re.match(r"(?:(?:    |\s*\n).*\n?)*", tail).group()   # the part's lines
    rest = tail[len(block):]
    indented = "".join("      " + ln + "\n" for ln in entry.rstrip("\n").split("\n"))
    if "    mistakes:\n" in block:
        block = block.replace("    mistakes:\n", "    mistakes:\n" + indented, 1)
    else:
        block = block.rstrip("\n") + "\n    mistakes:\n" + indented
    return head + part_line + block + rest


@pytest.fixture(scope="module")
def planted_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    files = classgen.make_class(folder, 60, corrupt_every=0)
    planted = _plant(files, 20)                     # 3 of 60: 5 %
    grader = Grader(load_catalog(PROBLEMS).specs)
    return folder, planted, grader, batch.grade_many(grader, files, jobs=1)


def test_mining_finds_a_planted_mistake_and_its_entry_names_it(planted_class, tmp_path):
    folder, planted, grader, subs = planted_class
    assert all(p.diagnosis is None for s in subs if s.file in map(str, planted)
               for pr in s.problems if pr.id == "p5" for p in pr.parts if p.name == "W")
    clusters = mine(grader, subs, problem="p5")
    assert {c.problem for c in clusters} == {"p5"}
    found = [c for c in clusters if c.part == "W" and
             np.allclose(np.asarray(c.value), PLANTED)]
    assert len(found) == 1 and found[0].size == 3, clusters
    cluster = found[0]
    assert "value:" in cluster.entry and cluster.name in cluster.entry
    problems = tmp_path / "problems"
    shutil.copytree(PROBLEMS, problems)
    spec = problems / "p5.yaml"
    spec.write_text(_paste(spec.read_text(), "  W:\n", cluster.entry))
    regrader = Grader(load_catalog(problems).specs)
    again = regrader.grade_file(planted[0])
    w = next(p for pr in again.problems if pr.id == "p5" for p in pr.parts if p.name == "W")
    assert (w.status, w.diagnosis) == ("wrong", cluster.name)
    assert not [c for c in mine(regrader, [regrader.grade_file(f) for f in planted])
                if c.part == "W"]


def test_a_mined_formula_entry_names_the_formula(planted_class, tmp_path):
    _, _, grader, subs = planted_class
    cluster = next(c for c in mine(grader, subs, problem="p6") if c.part == "jacobian")
    assert cluster.size >= 2 and "formula:" in cluster.entry
    problems = tmp_path / "problems"
    shutil.copytree(PROBLEMS, problems)
    spec = problems / "p6.yaml"
    spec.write_text(_paste(spec.read_text(), "  jacobian:\n", cluster.entry))
    answers = tmp_path / "a.yaml"
    answers.write_text(f"p6:\n  jacobian: {json.dumps(cluster.example)}\n")
    sub = Grader(load_catalog(problems).specs).grade_file(answers)
    part = next(p for pr in sub.problems if pr.id == "p6" for p in pr.parts
                if p.name == "jacobian")
    assert part.diagnosis == cluster.name


def test_mistakes_command_and_json_clusters(planted_class, tmp_path):
    folder = planted_class[0]
    out = run("mistakes", folder, "--problem", "p5", "--jobs", "1")
    assert out.exit_code == 0, out.output
    assert "unexplained-p5-w-" in out.stdout and "3 students" in out.stdout
    assert "value: [[0.98276, -0.01724], [0.0, -1.0]]" in out.stdout
    doc = json.loads(run("grade", folder, "-f", "json", "--jobs", "1").stdout)
    assert any(c["part"] == "W" and c["size"] == 3 for c in doc["clusters"])
    hidden = json.loads(run("grade", folder, "-f", "json", "--jobs", "1",
                            "--hide-expected").stdout)
    assert hidden["clusters"] == []
    assert all("fingerprint" not in part for s in hidden["submissions"]
               for p in s["problems"] for part in p["parts"])


def test_mining_reads_a_zero_indexed_formula_as_the_grader_did(tmp_path):
    """`Wh[a, 0]` from a file with `indexing: 0` is Wh's first column: mined at 1-based
    indexing it was out of bounds, and the cluster was lost."""
    files = []
    for who in ("ada", "bob"):
        files.append(tmp_path / f"{who}.yaml")
        files[-1].write_text(f"student: {who}\nindexing: 0\n"
                             "p6:\n  jacobian: 'h[a] * (1 - h[a]) * Wh[a, 0]'\n")
    grader = Grader(load_catalog(PROBLEMS).specs)
    subs = batch.grade_many(grader, files, jobs=1)
    clusters = [c for c in mine(grader, subs, problem="p6") if c.part == "jacobian"]
    assert len(clusters) == 1 and clusters[0].size == 2, clusters
    from hwcheck.grading import formulas
    spec = grader.specs["p6"]
    part = next(p for p in spec.parts if p.name == "jacobian")
    one_based = formulas.value_on(grader, spec, part, "h[a] * (1 - h[a]) * Wh[a, 1]", None)
    assert np.allclose(np.asarray(clusters[0].value), one_based)
    problems = tmp_path / "problems"
    shutil.copytree(PROBLEMS, problems)
    p6 = problems / "p6.yaml"
    p6.write_text(_paste(p6.read_text(), "  jacobian:\n", clusters[0].entry))
    again = Grader(load_catalog(problems).specs).grade_file(files[0])
    got = next(p for pr in again.problems if pr.id == "p6" for p in pr.parts
               if p.name == "jacobian")
    assert (got.status, got.diagnosis) == ("wrong", clusters[0].name)


# ---- regrades -----------------------------------------------------------------------------

@pytest.fixture()
def regraded(tmp_path):
    folder = tmp_path / "class"
    files = classgen.make_class(folder, 24, corrupt_every=0)
    problems = tmp_path / "problems"
    shutil.copytree(PROBLEMS, problems)
    old = tmp_path / "old.json"
    first = run("grade", folder, "--problems", problems, "-f", "json", "-o", old, "-j", "1")
    assert first.exit_code in (0, 1), first.output
    p3 = problems / "p3.yaml"
    p3.write_text(p3.read_text().replace("tolerance: {rtol: 0, atol: 0}",
                                         "tolerance: {rtol: 0.01, atol: 0}"))
    p5 = problems / "p5.yaml"
    p5.write_text(p5.read_text().replace("optimizer: {sgd: {lr: 0.02}}",
                                         "optimizer: {sgd: {lr: 0.03}}"))
    edited = files[5]
    edited.write_text(re.sub(r"(?m)^p3: .*$", "p3: 1", edited.read_text()))
    return folder, problems, old, edited


def _changes(out) -> list:
    assert out.exit_code in (0, 1), out.output
    return json.loads(out.stdout)["changes"]


def test_regrade_says_why_each_result_changed(regraded):
    folder, problems, old, edited = regraded
    doc_changes = _changes(run("grade", folder, "--problems", problems, "-f", "json",
                               "--against", old, "-j", "1"))
    why = {(c["file"], c["problem"], c["part"]): c["why"] for c in doc_changes}
    p3 = [w for (f, pid, _), w in why.items() if pid == "p3" and f != str(edited)]
    assert p3 and all(w == ["tolerance changed"] for w in p3)
    p5 = [w for (_, pid, _), w in why.items() if pid == "p5"]
    assert p5 and all("key changed" in w for w in p5)
    assert "answers file changed" in why[(str(edited), "p3", "params")]
    for c in doc_changes:
        assert (c["old_status"], c["old_score"], c["old_diagnosis"]) != \
            (c["new_status"], c["new_score"], c["new_diagnosis"])
    text = run("grade", folder, "--problems", problems, "--against", old, "-j", "1").stdout
    assert text.startswith("Regrade:") and "tolerance changed" in text
    assert "CLASS SUMMARY" not in text


def test_changed_only_limits_csv_and_json(regraded):
    folder, problems, old, _ = regraded
    changes = _changes(run("grade", folder, "--problems", problems, "-f", "json",
                           "--against", old, "-j", "1"))
    # a gradebook's rows: the status or the score moved, not only the diagnosis
    changed = {c["file"] for c in changes if (c["old_status"], c["old_score"]) !=
               (c["new_status"], c["new_score"])}
    assert changed < {c["file"] for c in changes}
    out = run("grade", folder, "--problems", problems, "-f", "csv", "--against", old,
              "--changed-only", "-j", "1")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["file"] for r in rows} == changed and 0 < len(rows) < 24
    doc = json.loads(run("grade", folder, "--problems", problems, "-f", "json", "--against",
                         old, "--changed-only", "-j", "1").stdout)
    assert {s["file"] for s in doc["submissions"]} == changed


def test_regrade_against_a_report_without_fingerprints(regraded):
    folder, problems, old, _ = regraded
    doc = json.loads(old.read_text())
    for s in doc["submissions"]:
        s.pop("digest", None)
        for p in s["problems"]:
            for part in p["parts"]:
                part.pop("fingerprint", None)
    old.write_text(json.dumps(doc))
    changes = _changes(run("grade", folder, "--problems", problems, "-f", "json",
                           "--against", old, "-j", "1"))
    assert changes and all(c["why"][0].startswith("unknown") for c in changes)


def test_unchanged_regrade_has_no_changes(tmp_path):
    folder = tmp_path / "class"
    classgen.make_class(folder, 6, corrupt_every=3)
    old = tmp_path / "old.json"
    run("grade", folder, "-f", "json", "-o", old, "-j", "1")
    assert _changes(run("grade", folder, "-f", "json", "--against", old, "-j", "1")) == []
    moved = folder.rename(tmp_path / "moved")   # the same class, its folder spelled anew
    assert _changes(run("grade", moved, "-f", "json", "--against", old, "-j", "1")) == []


def _answers(example: str, student: str) -> str:
    text = (ROOT / "examples" / example).read_text()
    return f"student: {student}\n" + re.sub(r"(?m)^student:.*$", "", text)


def test_a_regrade_never_matches_by_the_student_line(tmp_path):
    """Issue 14: `student:` is the student's claim. Ada writes Bob's name and the folder
    moves: her file is still compared with her own earlier row, not Bob's."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.yaml").write_text(_answers("correct-answers.yaml", "ada"))
    (folder / "bob.yaml").write_text(_answers("seed-answers.yaml", "bob"))
    old = tmp_path / "old.json"
    run("grade", folder, "--problems", PROBLEMS, "-f", "json", "-o", old, "-j", "1")
    (folder / "ada.yaml").write_text(_answers("correct-answers.yaml", "bob"))
    moved = folder.rename(tmp_path / "moved")
    changes = _changes(run("grade", moved, "--problems", PROBLEMS, "-f", "json",
                           "--against", old, "-j", "1"))
    assert changes == [], changes


def test_a_regrade_matches_by_the_graders_identity(tmp_path):
    """With --student-from folder the identity is the grader's: a moved class whose files
    share one name (ada/hw.yaml, bob/hw.yaml) still finds every student's row."""
    folder = tmp_path / "class"
    for who, example in (("ada", "correct-answers.yaml"), ("bob", "seed-answers.yaml")):
        (folder / who).mkdir(parents=True)
        (folder / who / "hw.yaml").write_text(_answers(example, "someone"))
    old = tmp_path / "old.json"
    run("grade", folder, "--problems", PROBLEMS, "-f", "json", "-o", old, "-j", "1",
        "--student-from", "folder")
    assert {s.get("identity") for s in json.loads(old.read_text())["submissions"]} == \
        {"folder"}
    moved = folder.rename(tmp_path / "moved")
    changes = _changes(run("grade", moved, "--problems", PROBLEMS, "-f", "json",
                           "--against", old, "-j", "1", "--student-from", "folder"))
    assert changes == [], changes


# ---- the HTML page ------------------------------------------------------------------------

HOSTILE = ['<script>alert("name")</script>', '"><img src=x onerror=alert(1)>',
           "</td></tr></table><iframe src=//evil.example>", "&lt;b&gt; \u202e evil"]


def test_html_escapes_hostile_names_and_answers(tmp_path):
    grader = Grader(load_catalog(PROBLEMS).specs)
    subs = []
    for i, name in enumerate(HOSTILE):
        path = tmp_path / f"h{i}.yaml"
        path.write_text(f"student: {json.dumps(name)}\np4:\n  dE/dz: {json.dumps(name)}\n"
                        f"p3: {json.dumps(name)}\n")
        subs.append(grader.grade_file(path))
    analysis = ClassAnalysis(mine(grader, subs), None)
    page = parse(report.render("html", subs, analysis=analysis))
    assert page.tags["script"] == 0 and page.tags["img"] == 0 and page.tags["iframe"] == 0
    assert not page.external and not page.dangling()
    assert page.classes["report"] == len(subs)
    for name in HOSTILE[:3]:
        assert name in page.plain
    assert "\u202e" not in page.plain and "\\u202e" in page.plain


def test_html_class_page_links_every_student(planted_class):
    folder, _, grader, subs = planted_class
    html = report.render("html", subs, analysis=ClassAnalysis(mine(grader, subs), None))
    page = parse(html)
    assert page.classes["report"] == len(subs)
    assert not page.dangling() and sum(h.startswith("#s-") for h in page.hrefs) == len(subs)
    parts = sum(len(pr.parts) for pr in subs[0].problems)
    assert page.classes["histogram"] == parts == page.classes["shares"]
    assert {"summary", "parts", "diagnoses", "clusters", "students"} <= set(page.ids)
    assert "unexplained-p5-w-" in page.plain


def test_a_cluster_reproduced_by_a_solver_variant_proposes_the_variant(tmp_path):
    """p5 without its `mistakes:`: the softmax-diagonal answers are unexplained, and the
    kind's solver variant re-solves to them, so the entry names the variant."""
    problems = tmp_path / "problems"
    shutil.copytree(PROBLEMS, problems)
    spec = problems / "p5.yaml"
    spec.write_text(re.sub(r"(?m)^    mistakes:\n(?:      .*\n)+", "", spec.read_text()))
    grader = Grader(load_catalog(problems).specs)
    assert not any(p.mistakes for p in grader.specs["p5"].parts)
    subs = []
    for i in range(3):
        path = tmp_path / f"s{i}.yaml"
        path.write_text("p5:\n  W: [[1.0016, 0.0016], [0, -1]]\n  B: [0.0016, 0]\n")
        subs.append(grader.grade_file(path))
    clusters = {c.part: c for c in mine(grader, subs, problem="p5")}
    assert set(clusters) == {"W", "B"}
    for c in clusters.values():
        assert c.size == 3 and "variant: softmax-diagonal" in c.entry
        assert "softmax-diagonal" in c.differs


def test_class_page_stays_small_per_student(planted_class):
    """Each student's report is a closed <details> of a few KB, so that a class of 1,000 is
    a page of a few MB (benchmarks/run.py html prints its size)."""
    _, _, grader, subs = planted_class
    html = report.render("html", subs, analysis=ClassAnalysis(mine(grader, subs), None))
    assert len(html.encode()) / len(subs) < 10_000
    assert html.count("<details") == len(subs) and " open>" not in html


def test_text_class_summary_fits_80_columns(planted_class):
    _, _, _, subs = planted_class
    out = report.render("text", subs)
    summary = out[out.index("CLASS SUMMARY"):]
    assert "Parts: scores from 0 to full" in summary and "Diagnoses, most common" in summary
    assert max(len(line) for line in summary.splitlines()) <= 80
    ranked = re.findall(r"(?m)^ (\d+) +(\S+) +(\d+) ", summary)
    counts = [int(n) for _, _, n in ranked]
    assert ranked and counts == sorted(counts, reverse=True)


def test_regrade_after_pasting_a_mined_mistake(planted_class, tmp_path):
    """The loop the issue asks for: mine, paste, regrade against the earlier report. The
    planted students' feedback changes (a named diagnosis), their scores do not, so
    --changed-only leaves them out of a gradebook upload."""
    folder, planted, grader, subs = planted_class
    old = tmp_path / "old.json"
    old.write_text(report.render("json", subs))
    cluster = next(c for c in mine(grader, subs, problem="p5") if c.part == "W" and c.size == 3)
    problems = tmp_path / "problems"
    shutil.copytree(PROBLEMS, problems)
    spec = problems / "p5.yaml"
    spec.write_text(_paste(spec.read_text(), "  W:\n", cluster.entry))
    out = run("grade", folder, "--problems", problems, "-f", "json", "--against", old,
              "-j", "1")
    changes = _changes(out)
    assert {c["file"] for c in changes} == set(map(str, planted))
    for c in changes:
        assert (c["part"], c["old_status"], c["new_status"]) == ("W", "wrong", "wrong")
        assert (c["old_diagnosis"], c["new_diagnosis"]) == (None, cluster.name)
        assert c["why"] == ["spec's mistakes changed"]
    text = run("grade", folder, "--problems", problems, "--against", old, "-j", "1").stdout
    assert f"no diagnosis → {cluster.name}" in " ".join(text.split())
    only = run("grade", folder, "--problems", problems, "-f", "csv", "--against", old,
               "--changed-only", "-j", "1")
    assert only.stdout.strip().count("\n") == 0    # the header alone
    # The exit code is the class's: none changed is not "nothing could be graded" (2).
    assert only.exit_code == out.exit_code == 1
