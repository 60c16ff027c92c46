"""How well hwcheck reads what students write: grade the labelled corpus (issue 11).

    python benchmarks/notation.py            # figures, per form, and the list of misses
    python benchmarks/notation.py --json     # the same as JSON
    python benchmarks/notation.py --misses 0 # figures only

Every entry of tests/corpus/students/answers.yaml (an answer as a student wrote it, its
label checked independently against PyTorch by tests/support/corpus.py) is written to its own
temporary answers file and graded in-process by hwcheck's real grader, ``Grader.grade_file``,
against the shipped problems. The figures are the three of issue 11's "Done when":

- correct graded correct: of the entries labelled correct, the share graded `correct`
  (target ≥ 95 %);
- wrong graded correct: entries labelled wrong that were graded `correct` (target 0, always);
- slip named: of the wrong entries with a `slip:` (a mistake the grader claims to know), the
  share whose diagnosis is that slip (target ≥ 80 %).

Exit status 1 only when a wrong answer is graded correct (a grader bug); a missed target is
printed, not an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

CORPUS = ROOT / "tests" / "corpus" / "students" / "answers.yaml"
PROBLEMS = ROOT / "problems"
FORMS = ("ascii", "latex", "unicode", "plain", "number")
GENERIC = "cannot read the formula"   # today's fallback refusal (issue 11 item 10)
TARGETS = {"correct_graded_correct": 0.95, "wrong_graded_correct": 0, "slip_named": 0.80}


@dataclass
class Graded:
    n: int                     # position in the corpus (0-based)
    problem: str
    part: str
    form: str
    label: str
    slip: str | None
    answer: object
    status: str                # hwcheck's verdict: correct, wrong, invalid, missing …
    diagnosis: str | None
    feedback: str
    read_as: str | None = None

    @property
    def hit(self) -> bool:
        """Graded as labelled (a wrong answer may also be refused as invalid)."""
        return self.status == "correct" if self.label == "correct" else self.status != "correct"


@dataclass
class Figures:
    entries: int
    correct: int
    wrong: int
    correct_graded_correct: int
    wrong_graded_correct: int
    with_slip: int
    slip_named: int
    misnamed: int = 0          # wrong entries with a slip, diagnosed as another slip
    claimed: int = 0           # wrong entries without a slip that got a diagnosis anyway
    statuses: dict = field(default_factory=dict)

    @property
    def correct_rate(self) -> float:
        return self.correct_graded_correct / self.correct if self.correct else 1.0

    @property
    def slip_rate(self) -> float:
        return self.slip_named / self.with_slip if self.with_slip else 1.0


def load_entries(path: Path = CORPUS) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["entries"]


def answers_text(entry: dict, single_part: bool) -> str:
    """An answers file holding just this entry. JSON is YAML: strings keep every character
    (backslashes, Unicode) and numbers and lists stay numbers and lists."""
    value = json.dumps(entry["answer"], ensure_ascii=False)
    if single_part:
        return f"{entry['problem']}: {value}\n"
    return f"{entry['problem']}:\n  {json.dumps(entry['part'])}: {value}\n"


def grade(entries: list[dict] | None = None) -> list[Graded]:
    from hwcheck.grading.grader import Grader
    from hwcheck.spec.catalog import load_catalog

    entries = load_entries() if entries is None else entries
    specs = load_catalog(PROBLEMS).specs
    grader = Grader(specs)
    out = []
    with tempfile.TemporaryDirectory(prefix="hwcheck-notation-") as tmp:
        for n, e in enumerate(entries):
            spec = specs[e["problem"]]
            path = Path(tmp) / f"entry{n}.yaml"
            path.write_text(answers_text(e, len(spec.parts) == 1), encoding="utf-8")
            sub = grader.grade_file(path, display=f"corpus#{n}")
            pr = next(p for p in sub.problems if p.id == e["problem"])
            res = next(p for p in pr.parts if p.name == e["part"])
            out.append(Graded(n, e["problem"], e["part"], e["form"], e["label"], e.get("slip"),
                              e["answer"], res.status, res.diagnosis, res.feedback or "",
                              getattr(res, "read_as", None)))
    return out


def figures(graded: list[Graded]) -> Figures:
    correct = [g for g in graded if g.label == "correct"]
    wrong = [g for g in graded if g.label == "wrong"]
    slipped = [g for g in wrong if g.slip]
    return Figures(
        entries=len(graded), correct=len(correct), wrong=len(wrong),
        correct_graded_correct=sum(g.status == "correct" for g in correct),
        wrong_graded_correct=sum(g.status == "correct" for g in wrong),
        with_slip=len(slipped),
        slip_named=sum(g.status == "wrong" and g.diagnosis == g.slip for g in slipped),
        misnamed=sum(bool(g.diagnosis) and g.diagnosis != g.slip for g in slipped),
        claimed=sum(bool(g.diagnosis) for g in wrong if not g.slip),
        statuses=dict(Counter(f"{g.label}->{g.status}" for g in graded)))


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:5.1f} % ({a}/{b})" if b else "    – (0/0)"


def _short(text: str, width: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def report(graded: list[Graded], misses: int = 1000) -> str:
    f = figures(graded)
    lines = [f"hwcheck notation corpus: {f.entries} answers ({f.correct} correct, {f.wrong} wrong)",
             "",
             f"  correct graded correct   {_pct(f.correct_graded_correct, f.correct)}   "
             f"target >= 95 %",
             f"  wrong graded correct     {f.wrong_graded_correct:>5}{' ' * 13}   target 0",
             f"  slip named               {_pct(f.slip_named, f.with_slip)}   target >= 80 %",
             f"  (slips named as another slip: {f.misnamed}; diagnoses given to wrong answers "
             f"with no known slip: {f.claimed})",
             "",
             f"  {'form':<8} {'entries':>7}  {'correct graded correct':<24} "
             f"{'wrong->correct':>14}  {'slip named':<18}"]
    for form in FORMS:
        sub = [g for g in graded if g.form == form]
        if not sub:
            continue
        ff = figures(sub)
        rate = _pct(ff.correct_graded_correct, ff.correct)
        lines.append(f"  {form:<8} {ff.entries:>7}  {rate:<24} "
                     f"{ff.wrong_graded_correct:>14}  {_pct(ff.slip_named, ff.with_slip):<18}")
    lines += ["", "  verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(f.statuses.items())),
              f"  refusals with the generic 'cannot read the formula' message: "
              f"{sum(g.status == 'invalid' and g.feedback.startswith(GENERIC) for g in graded)}"
              f" of {sum(g.status == 'invalid' for g in graded)}"]
    if misses:
        bad = [g for g in graded if g.label == "wrong" and g.status == "correct"]
        refused = [g for g in graded if g.label == "correct" and g.status != "correct"]
        unnamed = [g for g in graded if g.label == "wrong" and g.slip and
                   not (g.status == "wrong" and g.diagnosis == g.slip)]
        # Informational: a diagnosis claimed for a wrong answer whose mistake is none the
        # grader knows (issue 11 item 9: a diagnosis must be true).
        claimed = [g for g in graded if g.label == "wrong" and not g.slip and g.diagnosis]
        for title, group in (("WRONG ANSWERS GRADED CORRECT (grader bug)", bad),
                             ("correct answers not graded correct", refused),
                             ("known slips not named", unnamed),
                             ("diagnoses given to wrong answers with no known slip", claimed)):
            if not group:
                continue
            lines += ["", f"{title}: {len(group)}"]
            for g in group[:misses]:
                got = g.status + (f" [{g.diagnosis}]" if g.diagnosis else "")
                want = f" (slip {g.slip})" if g.slip else ""
                shown = g.answer if isinstance(g.answer, str) else \
                    json.dumps(g.answer, ensure_ascii=False)
                lines.append(f"  #{g.n:<3} {g.problem} {g.part:<8} {g.form:<7} {_short(shown, 60)}")
                lines.append(f"        -> {got}{want}: {_short(g.feedback, 90)}")
                if g.read_as:
                    lines.append(f"        read as: {_short(g.read_as, 90)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the figures and verdicts as JSON")
    ap.add_argument("--misses", type=int, default=1000, metavar="N",
                    help="list at most N misses of each kind (0: none)")
    args = ap.parse_args(argv)
    graded = grade()
    f = figures(graded)
    if args.json:
        print(json.dumps({"figures": {**asdict(f), "correct_rate": f.correct_rate,
                                      "slip_rate": f.slip_rate},
                          "targets": TARGETS,
                          "entries": [asdict(g) for g in graded]}, ensure_ascii=False, indent=1))
    else:
        print(report(graded, args.misses))
    return 1 if f.wrong_graded_correct else 0


if __name__ == "__main__":
    sys.exit(main())
