"""Notebooks, LaTeX and Markdown submissions (grading/sources): read without running them,
graded exactly like the YAML the same answers would make."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml

from hwcheck.grading.sources import notebook
from tests.support.helpers import EXAMPLES, grader, part

DOCUMENTS = ("seed-answers.ipynb", "seed-answers.tex", "seed-answers.md")


@pytest.fixture(scope="module")
def seed():
    return grader().grade_file(EXAMPLES / "seed-answers.yaml")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_seed_documents_grade_like_the_yaml(seed, name):
    doc = grader().grade_file(EXAMPLES / name)
    assert doc.error is None and not doc.notices
    assert (doc.student, doc.score, doc.max_score) == (seed.student, seed.score, seed.max_score)
    for pa, pb in zip(seed.problems, doc.problems, strict=True):
        for a, b in zip(pa.parts, pb.parts, strict=True):
            assert (b.name, b.status, b.diagnosis, b.score, b.feedback) == \
                (a.name, a.status, a.diagnosis, a.score, a.feedback), name
            assert b.line > 0


def test_notebook_positions_are_cells():
    sub = grader().grade_file(EXAMPLES / "seed-answers.ipynb")
    cells = json.loads((EXAMPLES / "seed-answers.ipynb").read_text())["cells"]
    w = part(sub, "p5", "W")
    assert "hwcheck:p5.W" in cells[w.line - 1]["metadata"]["tags"]   # its saved output
    b = part(sub, "p5", "B")
    assert cells[b.line - 1]["source"][0].startswith("# hwcheck: p5.B")   # a marker line


def test_notebook_annotations_point_at_lines_of_the_json():
    """GitHub places an annotation at a line of the file as stored: the line where the
    tagged cell's source starts, never the cell's number; the message names the cell."""
    from hwcheck.report import github

    path = EXAMPLES / "seed-answers.ipynb"
    sub = grader().grade_file(path)
    lines = path.read_text().split("\n")
    cells = json.loads(path.read_text())["cells"]
    out = github.render([sub]).splitlines()
    assert out and all(",line=" in a for a in out)
    for annotation in out:
        props, message = annotation.split("::")[1:3]
        at = dict(kv.split("=", 1) for kv in props.split(" ", 1)[1].split(","))
        cell = int(message.split(":")[0].removeprefix("cell "))
        first = cells[cell - 1]["source"][0]
        line, col = int(at["line"]), int(at["col"])
        assert lines[line - 1][col - 1:].startswith(json.dumps(first)[:20]), annotation


def test_notebook_annotation_without_a_known_line_is_file_level():
    from dataclasses import replace

    from hwcheck.report import github

    sub = grader().grade_file(EXAMPLES / "seed-answers.ipynb")
    out = github.render([replace(sub, cells=())])
    assert out and ",line=" not in out and "::cell 6: wrong" in out


@pytest.mark.parametrize("text", [
    '{"cells": [{"source": []}, {"source": "x"}, 5, {}], "k": [1, {"a": "]}"}]}',
    '\n  {\n "cells" :\n [\n {"id": "a\\"b", "source" : [\n  "x\\n",\n "y"]} ,\n'
    ' {"outputs": [[[]]], "source": "z"}\n ]\n}\n',
])
def test_the_json_outline_finds_every_cell(text):
    from hwcheck.grading.sources.jsonplaces import outline

    places = outline(text)
    lines = text.split("\n")

    def at(place):
        return lines[place[0] - 1][place[1] - 1:]
    cells = json.loads(text)["cells"]
    assert len(places.cells) == len(cells)
    for n, cell in enumerate(cells, start=1):
        assert at(places.cells[n - 1])[0] == ("{" if isinstance(cell, dict) else "5")
        source = cell.get("source") if isinstance(cell, dict) else None
        if source:
            first = source[0] if isinstance(source, list) else source
            assert at(places.cell(n)).startswith(json.dumps(first)), n


def test_latex_and_markdown_positions_are_lines():
    for name, fragment in (("seed-answers.tex", "\\answer{p3}{"),
                           ("seed-answers.md", "<!-- hwcheck: p3 -->")):
        lines = (EXAMPLES / name).read_text().split("\n")
        p3 = part(grader().grade_file(EXAMPLES / name), "p3", "params")
        assert fragment in lines[p3.line - 1]
        assert lines[p3.line - 1][p3.col - 1:].startswith("513466")


@pytest.mark.parametrize("text, data", [
    ("array([[ 1.0016,  0.0016],\n       [ 0.    , -1.    ]])", "[[1.0016, 0.0016], [0., -1.]]"),
    ("[[ 1.0016  0.0016]\n [ 0.     -1.    ]]", "[[1.0016, 0.0016], [0., -1.]]"),
    ("tensor([0.0016, 0.0000], requires_grad=True)", "[0.0016, 0.0000]"),
    ("array([1, 2], dtype=int32)", "[1, 2]"),
    ("513466", "513466"),
    ("np.int64(513466)", "513466"),           # numpy 2's repr of a scalar
    ("np.float64(-0.0086212)", "-0.0086212"),
    ("q - p", "q - p"),
])
def test_saved_outputs_are_read_as_data(text, data):
    assert notebook._data(text) == data


def _nb(tmp_path, cells, name="hw.ipynb"):
    path = tmp_path / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}))
    return grader().grade_file(path)


def _code(source, outputs=(), tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": source,
            "outputs": list(outputs), "execution_count": None}


def test_untagged_cells_and_untagged_outputs_are_ignored(tmp_path):
    sub = _nb(tmp_path, [
        _code("W = [[9, 9], [9, 9]]"),
        _code("print(W)", [{"output_type": "stream", "name": "stdout", "text": "[[9 9]]"}]),
        _code("print(513466)", [{"output_type": "stream", "name": "stdout",
                                 "text": "513466\n"}], ["hwcheck:p3"])])
    assert part(sub, "p3", "params").status == "correct"
    assert part(sub, "p5", "W").status == "missing"
    assert part(sub, "p3", "params").line == 3


def test_code_without_output_is_a_notice_not_a_run(tmp_path):
    sub = _nb(tmp_path, [_code("W = compute()", tags=["hwcheck:p5.W"])])
    assert part(sub, "p5", "W").status == "missing"
    assert any("never runs code" in n.message and n.line == 1 for n in sub.notices)


def test_a_numpy_scalar_output_is_graded_as_its_number(tmp_path):
    sub = _nb(tmp_path, [_code("np.sum(counts)", [{
        "output_type": "execute_result", "execution_count": 1, "metadata": {},
        "data": {"text/plain": "np.int64(513466)"}}], ["hwcheck:p3"])])
    assert part(sub, "p3", "params").status == "correct"


def test_a_formula_in_a_python_string(tmp_path):
    sub = _nb(tmp_path, [_code("# hwcheck: p4.dE/dz\nanswer = 'q - p'")])
    assert part(sub, "p4", "dE/dz").status == "correct"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installed")
def test_the_latex_example_compiles(tmp_path):
    env = dict(os.environ, TEXINPUTS=f"{EXAMPLES / 'latex'}{os.pathsep}")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                          "-output-directory", str(tmp_path), str(EXAMPLES / "seed-answers.tex")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "seed-answers.pdf").stat().st_size > 1000


# ---- templates: every format, filled with the key, grades all-correct ----------------------

FORMATS = ("yaml", "ipynb", "tex", "md")


def _key_answers() -> dict:
    """(problem, part) → a right answer, from examples/correct-answers.yaml."""
    plain = yaml.safe_load((EXAMPLES / "correct-answers.yaml").read_text())
    specs = grader().specs
    out = {}
    for pid, spec in specs.items():
        value = plain[pid]
        if not isinstance(value, dict):
            value = {spec.parts[0].name: value}
        out.update({f"{pid}.{name}": v for name, v in value.items()})
    return out


def _written(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _fill(fmt: str, text: str, answers: dict) -> str:
    if fmt == "ipynb":
        doc = json.loads(text)
        for cell in doc["cells"]:
            tags = [t[8:] for t in cell["metadata"].get("tags", ()) if t.startswith("hwcheck:")]
            if tags and tags[0] in answers:
                value = answers[tags[0]]
                cell["source"].append(_written(value) if cell["cell_type"] == "markdown"
                                      else f"answer = {value!r}")
            elif tags == ["student"]:
                cell["source"] = ["ada"]
        return json.dumps(doc)
    for tag, value in answers.items():
        pid, part = tag.split(".", 1)
        empty = '""' if isinstance(value, str) else "null"
        blank = {"yaml": f"  {_yaml_key(part)}: {empty}\n",
                 "tex": f"\\answer{{{tag}}}{{}}",
                 "md": f"<!-- hwcheck: {tag} -->\n"}[fmt]
        filled = {"yaml": f"  {_yaml_key(part)}: {json.dumps(value)}\n",
                  "tex": f"\\answer{{{tag}}}{{{_written(value)}}}",
                  "md": f"<!-- hwcheck: {tag} -->\n{_written(value)}\n"}[fmt]
        assert text.count(blank) == 1, (fmt, blank)
        text = text.replace(blank, filled)
    return text


def _yaml_key(part: str) -> str:
    return f'"{part}"' if ":" in part else part


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_template_filled_with_the_key_grades_all_correct(tmp_path, fmt):
    from hwcheck.report.template import render_template

    specs = list(grader().specs.values())
    text = render_template(fmt, specs)
    blank = tmp_path / f"blank.{fmt}"
    blank.write_text(text)
    empty = grader().grade_file(blank)
    assert empty.error is None and not empty.notices
    assert {p.status for pr in empty.problems for p in pr.parts} == {"missing"}

    filled = tmp_path / f"filled.{fmt}"
    filled.write_text(_fill(fmt, text, _key_answers()))
    sub = grader().grade_file(filled)
    want = grader().grade_file(EXAMPLES / "correct-answers.yaml")
    assert sub.error is None and not sub.notices
    statuses = {(pr.id, p.name): p.status for pr in sub.problems for p in pr.parts}
    assert set(statuses.values()) == {"correct", "needs_review"}, statuses
    assert statuses == {(pr.id, p.name): p.status for pr in want.problems for p in pr.parts}
    assert sub.score == want.score


def test_yaml_template_is_unchanged_by_the_formats():
    from hwcheck.report.template import render_template, skeleton

    specs = list(grader().specs.values())
    assert render_template("yaml", specs) == skeleton(specs)


def test_the_tex_template_defines_the_macros_of_the_sty():
    from hwcheck.report.template_docs import STY_DEFINITIONS

    sty = (EXAMPLES / "latex" / "hwcheck.sty").read_text()
    assert all(d in sty.split("\n") for d in STY_DEFINITIONS)


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_templates_fit_80_columns(fmt):
    from hwcheck.report.template import render_template

    text = render_template(fmt, list(grader().specs.values()))
    if fmt == "ipynb":
        text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    assert max(map(len, text.split("\n"))) <= 80


@pytest.mark.parametrize("source, status", [
    ("W = [[0.99138, -0.00862], [0, -1]]  # after one step", "correct"),
    ("import numpy as np\n\nW = np.array([[0.99138, -0.00862], [0, -1]])", "correct"),
    ("W = np.array([[0.99138, -0.00862], [0, -1]], dtype=np.float32)", "correct"),
    ("W = np.array([(0.99138, -0.00862), (0, -1)])", "correct"),
    ("torch.tensor([[0.99138, -0.00862], [0., -1.]])", "correct"),
    ("W = [[1, 0], [0, 1]]\nW = [[0.99138, -0.00862], [0, -1]]", None),
    ("W = W0 - 0.02 * dW", None),
])
def test_a_code_cell_is_a_literal_or_its_output_is_read(tmp_path, source, status):
    out = [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"text/plain": "array([[ 0.99138, -0.00862],\n       [ 0.     , -1.     ]])"}}]
    alone = _nb(tmp_path, [_code(source, tags=["hwcheck:p5.W"])])
    with_output = _nb(tmp_path, [_code(source, out, tags=["hwcheck:p5.W"])])
    if status is None:   # not one literal: only a saved output answers
        assert part(alone, "p5", "W").status == "missing"
        assert any("never runs code" in n.message for n in alone.notices)
        assert part(with_output, "p5", "W").status == "correct"
    else:
        assert part(alone, "p5", "W").status == status
        assert part(with_output, "p5", "W").status == status


@pytest.mark.parametrize("name", DOCUMENTS[1:])
def test_windows_line_endings_grade_the_same(tmp_path, seed, name):
    crlf = tmp_path / name
    crlf.write_bytes((EXAMPLES / name).read_bytes().replace(b"\n", b"\r\n"))
    sub = grader().grade_file(crlf)
    assert (sub.score, sub.notices) == (seed.score, ())
    assert [p.status for pr in sub.problems for p in pr.parts] == \
        [p.status for pr in seed.problems for p in pr.parts]


@pytest.mark.parametrize("fmt", FORMATS[1:])
def test_template_format_through_the_cli(tmp_path, fmt):
    from tests.support.runners import run

    made = run("template", "p3", "p5", "--format", fmt)
    assert made.exit_code == 0
    path = tmp_path / f"blank.{fmt}"
    path.write_text(made.stdout)
    graded = run("grade", str(path), "--format", "json")
    assert graded.exit_code == 1   # everything is missing, nothing is an error
    doc = json.loads(graded.stdout)
    assert doc["student"] == "your-id" and not doc["notices"]
    assert {p["status"] for pr in doc["problems"] for p in pr["parts"]} == {"missing"}


def test_an_unknown_template_format_is_one_line():
    from tests.support.runners import run

    result = run("template", "--format", "docx")
    assert result.exit_code == 2 and "is not one of: yaml, ipynb, tex, md" in result.stderr


def test_a_folder_mixes_formats_and_skips_what_is_not_a_submission(tmp_path):
    from hwcheck.grading.batch import collect

    for name in ("a.yaml", "b.ipynb", "c.tex", "d.md"):
        shutil.copy(EXAMPLES / name.replace(name[0], "seed-answers", 1), tmp_path / name)
    (tmp_path / "README.md").write_text("# Submissions for week 2\n")
    (tmp_path / "notes.tex").write_text("\\section{notes}\n")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    shutil.copy(EXAMPLES / "seed-answers.ipynb", tmp_path / ".ipynb_checkpoints" / "b.ipynb")
    assert [p.name for p in collect([tmp_path])] == ["a.yaml", "b.ipynb", "c.tex", "d.md"]


def test_markdown_answer_after_blank_lines_but_not_the_next_prose(tmp_path):
    """A math block or list after a blank line is the marker's answer; the template's next
    prose ("**B**: …") after an unfilled marker is not."""
    path = tmp_path / "hw.md"
    path.write_text("<!-- hwcheck: p5.W -->\n\n[[0.99138, -0.00862], [0, -1]]\n\n"
                    "<!-- hwcheck: p5.B -->\n\n**Next**: some prose\n")
    sub = grader().grade_file(path)
    assert part(sub, "p5", "W").status == "correct" and part(sub, "p5", "W").line == 3
    assert part(sub, "p5", "B").status == "missing"


@pytest.mark.parametrize("name", ["seed-answers.ipynb", "seed-answers.tex", "seed-answers.md"])
def test_a_document_behind_a_link_or_a_fifo_is_refused_when_opened(tmp_path, name):
    """Documents are opened like YAML answers files (yamlio.read_limited): a link swapped
    in after the walk, or a FIFO, is refused at open, never followed or waited on."""
    from hwcheck.errors import AnswerError

    link = tmp_path / name
    link.symlink_to(EXAMPLES / name)
    with pytest.raises(AnswerError, match="symbolic link"):
        grader().grade_file(link)
    fifo = tmp_path / f"fifo{link.suffix}"
    os.mkfifo(fifo)
    with pytest.raises(AnswerError, match="not a regular file"):
        grader().grade_file(fifo)
