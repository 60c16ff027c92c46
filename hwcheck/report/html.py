"""``hwcheck grade --format html``: one self-contained page for teaching staff.

The page loads nothing: styles are inline, charts are SVG drawn by ``report.svg``, there
is no script, and a Content-Security-Policy forbids any fetch, so it opens from a file or a
course LMS alike. Every string that may come from a student (names, files, answers,
feedback, details, notices) goes through ``esc``. Anchors are built from positions, never
from student text. Each student's full report is a closed ``<details>`` (a class of 1,000
stays a page a browser scrolls), opened by following its link from the students table.

One submission: its report alone, open.
"""

from __future__ import annotations

import re
from html import escape

from hwcheck.report import classstats, svg
from hwcheck.report.details import answer_text, details_of, expected_text, view
from hwcheck.report.numbers import fmt_number
from hwcheck.grading.results import FAILING
from hwcheck.spec.load import STATUSES

ANSWER_CHARS = 160   # an answer cut in a table; the file itself has it whole
DETAIL_LINES = 4     # detail lines shown per part
# C0/C1 controls (not tab or newline) and the invisible characters that reorder text
_UNSEEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069"
                     r"\ufeff]")

CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:0 16px;color:#212121}
h1{margin:16px 0 4px}h2{border-bottom:1px solid #ccc;margin-top:28px}
nav a{margin-right:12px}table{border-collapse:collapse;margin:8px 0}
th,td{border-bottom:1px solid #e0e0e0;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;
font-size:12px}pre{background:#f5f5f5;padding:6px;overflow-x:auto}
.parts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;border:1px solid #e0e0e0;padding:6px;border-radius:4px}
figcaption{font-weight:600}figure svg{display:block;margin-top:4px}.correct{color:#2e7d32}.wrong{color:#c62828}
.invalid{color:#8e24aa}.missing{color:#b28704}.needs_review{color:#0277bd}
details{border-bottom:1px solid #eee;padding:2px 0}summary{cursor:pointer}
details[open]{background:#fafafa}.cluster{border-left:4px solid #c62828;padding-left:8px;
margin:10px 0}.target{scroll-margin-top:3em}.muted{color:#757575}td.a{max-width:360px;overflow-wrap:anywhere}
"""


def esc(value, limit: int = 2000) -> str:
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return escape(_UNSEEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text), quote=True)


def _pts(x) -> str:
    return fmt_number(x, 3)


def render(submissions, *, hide_expected: bool = False, analysis=None) -> str:
    subs = view(submissions, hide_expected)
    out = [_head("hwcheck report" if len(subs) == 1 else "hwcheck class report")]
    if len(subs) == 1:
        out.append(f"<h1>Report: {esc(_who(subs[0]))}</h1>")
        out.append(_report(subs[0], 0, opened=True))
        if analysis is not None and analysis.changes is not None:
            out.append(_changes(analysis.changes))
    else:
        out += _class(subs, analysis)
    out.append("</body></html>\n")
    return "\n".join(out)


def _head(title: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>")


def _who(sub) -> str:
    return f"{sub.student} ({sub.file})" if sub.student else sub.file


def _class(subs, analysis) -> list[str]:
    graded = [s for s in subs if s.error is None]
    errors = len(subs) - len(graded)
    passing = sum(not s.failing for s in graded)
    mean = sum(s.score for s in graded) / len(graded) if graded else 0.0
    top = max((s.max_score for s in graded), default=0.0)
    clusters = analysis.clusters if analysis is not None else ()
    changes = analysis.changes if analysis is not None else None
    links = ["summary", "parts", "diagnoses", "clusters"] + \
        (["changes"] if changes is not None else []) + ["students"]
    out = ["<h1>Class report</h1>",
           f"<p id=\"tally\">{len(subs)} submissions: {len(graded)} graded, {errors} "
           f"error{'' if errors == 1 else 's'}, {passing} with nothing failing; mean total "
           f"{_pts(mean)} of {_pts(top)}.</p>",
           "<nav>" + "".join(f'<a href="#{k}">{k}</a>' for k in links) + "</nav>"]
    out.append(_summary(graded))
    out.append(_parts(graded))
    out.append(_diagnoses(graded))
    out.append(_clusters(clusters))
    if changes is not None:
        out.append(_changes(changes))
    out.append(_students(subs))
    out.append("<h2 id=\"reports\">Reports</h2>")
    out += [_report(s, i) for i, s in enumerate(subs)]
    return out


def _table(cls: str, head, rows) -> str:
    th = "".join(f'<th{" class=n" if h.startswith("#") else ""}>{esc(h.lstrip("#"))}</th>'
                 for h in head)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>' + "".join(rows) + \
        "</tbody></table>"


def _summary(graded) -> str:
    per: dict[str, list] = {}
    for sub in graded:
        for pr in sub.problems:
            per.setdefault(pr.id, [pr.title, pr.max_score, []])[2].append(pr.score)
    rows = [f"<tr><td><b>{esc(pid)}</b> {esc(t)}</td><td class=n>{_pts(sum(v) / len(v))}"
            f"</td><td class=n>{_pts(m)}</td><td class=n>{len(v)}</td></tr>"
            for pid, (t, m, v) in per.items()]
    return '<h2 id="summary">Summary</h2>' + _table("summary", ["problem", "#mean", "#of",
                                                              "#graded"], rows)


def _parts(graded) -> str:
    out = ['<h2 id="parts">Parts</h2>']
    problem = None
    for i, st in enumerate(classstats.part_stats(graded, STATUSES)):
        if st.problem != problem:
            if problem is not None:
                out.append("</div>")
            problem = st.problem
            out.append(f"<h3>{esc(st.problem)}: {esc(st.title)}</h3><div class=\"parts\">")
        name = f"{st.problem} {st.part}"
        out.append(f'<figure id="part-{i}"><figcaption>{esc(st.part)} '
                   f'<span class="muted">mean {_pts(st.mean)} of {_pts(st.max_score)}, '
                   f'{st.graded} graded</span></figcaption>'
                   + svg.histogram(st.bins, title=f"{name}: scores") +
                   svg.share_bar(st.statuses, title=f"{name}: statuses") + "</figure>")
    if problem is not None:
        out.append("</div>")
    return "".join(out)


def _diagnoses(graded) -> str:
    ranked = classstats.diagnoses(graded)
    rows = [f"<tr><td class=n>{k}</td><td><code>{esc(d.slug)}</code></td>"
            f"<td class=n>{d.count}</td><td>"
            + esc(", ".join(f"{p} ({n})" for p, n in d.parts)) + "</td></tr>"
            for k, d in enumerate(ranked, start=1)]
    body = _table("diagnoses", ["#rank", "diagnosis", "#students", "parts"], rows) if rows \
        else "<p>No named diagnosis.</p>"
    return '<h2 id="diagnoses">Diagnoses</h2>' + body


def _clusters(clusters) -> str:
    out = ['<h2 id="clusters">Unexplained wrong answers</h2>']
    if not clusters:
        return out[0] + "<p>No group of two or more students shares an unexplained wrong " \
                        "answer.</p>"
    for c in clusters:
        shown = ", ".join(c.students[:12]) + (", …" if c.size > 12 else "")
        where = f"{c.spec_file}, " if c.spec_file else ""
        out.append(f'<div class="cluster"><b>{esc(c.problem)} {esc(c.part)}</b>: '
                   f"{c.size} students<br>example: <code>{esc(c.example, 400)}</code><br>"
                   f"differs: {esc(c.differs)}<br><span class=muted>{esc(shown)}</span><br>"
                   f"paste under {esc(where)}parts → {esc(c.part)} → mistakes:"
                   f"<pre>{esc(c.entry)}</pre></div>")
    return "".join(out)


def _changes(changes) -> str:
    rows = []
    for c in changes:
        where = f"{c.problem} {c.part}".strip() or "whole file"
        rows.append(f"<tr><td>{esc(c.student or c.file)}</td><td>{esc(where)}</td>"
                    f"<td>{_status(c.old_status)} → {_status(c.new_status)}"
                    + (f"<br><span class=muted>{esc(c.old_diagnosis or 'no diagnosis')} → "
                       f"{esc(c.new_diagnosis or 'none')}</span>"
                       if c.old_diagnosis != c.new_diagnosis else "") + "</td>"
                    f"<td class=n>{_opt(c.old_score)} → {_opt(c.new_score)}</td>"
                    f"<td>{esc('; '.join(c.why))}</td></tr>")
    body = _table("changes", ["student", "part", "status", "#score", "why"], rows) if rows \
        else "<p>Nothing changed.</p>"
    return f'<h2 id="changes">Changes since the previous report ({len(changes)})</h2>' + body


def _opt(x) -> str:
    return "—" if x is None else _pts(x)


def _status(status) -> str:
    if status is None:
        return "—"
    return f'<span class="{esc(status)}">{esc(status.replace("_", " "))}</span>'


def _students(subs) -> str:
    rows = []
    for i, s in enumerate(subs):
        if s.error is not None:
            cells = f"<td class=n>—</td><td class=wrong>error: {esc(s.error, 300)}</td>"
        else:
            failing = ", ".join(f"{pr.id} {p.name}" for pr in s.problems for p in pr.parts
                                if p.status in FAILING)
            cells = f"<td class=n>{_pts(s.score)}/{_pts(s.max_score)}</td>" \
                    f"<td>{esc(failing, 300)}</td>"
        rows.append(f"<tr><td>{esc(s.student or '')}</td><td>{esc(s.file, 300)}</td>"
                    f'{cells}<td><a href="#s-{i}">report</a></td></tr>')
    return '<h2 id="students">Students</h2>' + _table(
        "students", ["student", "file", "#score", "failing", "report"], rows)


def _report(sub, i: int, opened: bool = False) -> str:
    score = "error" if sub.error is not None else f"{_pts(sub.score)}/{_pts(sub.max_score)}"
    # The anchor is inside the closed <details>: following a link to it opens it (the
    # browser reveals a fragment's hidden ancestors); scroll-margin keeps the summary seen.
    out = [f'<details class="report"{" open" if opened else ""}><summary>'
           f"<b>{esc(sub.student or sub.file, 300)}</b> {esc(sub.file, 300)} — {score}"
           f'</summary><div id="s-{i}" class="target">']
    if sub.error is not None:
        out.append(f"<p class=wrong>could not grade: {esc(sub.error)}</p></div></details>")
        return "".join(out)
    for n in sub.notices:
        where = f"line {n.line}: " if n.line else ""
        hint = f" (hint: {n.hint})" if n.hint else ""
        out.append(f"<p class=missing>{esc(where + n.message + hint)}</p>")
    head = ["part", "status", "#points", "answer"] + \
        ([] if sub.key_withheld else ["expected"]) + ["feedback"]
    for pr in sub.problems:
        rows = [_part_row(p, sub.key_withheld) for p in pr.parts]
        out.append(f"<h4>{esc(pr.id)}: {esc(pr.title)} {_pts(pr.score)}/"
                   f"{_pts(pr.max_score)}</h4>" + _table("result", head, rows))
    out.append("</div></details>")
    return "".join(out)


def _part_row(p, key_withheld: bool) -> str:
    answer = answer_text(p)
    cells = [f"<td>{esc(p.name)}</td><td>{_status(p.status)}</td>"
             f"<td class=n>{_pts(p.score)}/{_pts(p.max_score)}</td>",
             f"<td class=a><code>{esc(answer, ANSWER_CHARS)}</code></td>" if answer is not None
             else "<td class=muted>—</td>"]
    if not key_withheld:
        expected = expected_text(p)
        cells.append(f"<td class=a><code>{esc(expected, ANSWER_CHARS)}</code></td>"
                     if expected is not None else "<td></td>")
    lines = [ln for ln in p.feedback.split("\n") if ln.strip()]
    if p.diagnosis:
        lines.append(f"diagnosis: {p.diagnosis}")
    details = details_of(p)
    lines += details[:DETAIL_LINES] + ([f"… {len(details) - DETAIL_LINES} more"]
                                       if len(details) > DETAIL_LINES else [])
    cells.append("<td>" + "<br>".join(esc(ln, 500) for ln in lines) + "</td>")
    return "<tr>" + "".join(cells) + "</tr>"
