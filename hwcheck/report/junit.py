"""``hwcheck grade --format junit``: JUnit XML for CI test reporters.

``<testsuites>`` → one ``<testsuite name="FILE:p5">`` per problem of each submission → one
``<testcase classname="p5" name="W">`` per part. wrong, invalid and missing parts carry a
``<failure type=STATUS>``; needs_review parts are ``<skipped>`` (a person decides, so they
neither pass nor fail the build); a file that could not be graded is a testsuite holding
one ``<error>``. ElementTree does the XML escaping; ``_xml`` removes what XML 1.0 cannot
hold at all.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hwcheck.report.details import message_lines, view
from hwcheck.report.numbers import fmt_number
from hwcheck.grading.results import FAILING
from hwcheck.report.textsafe import clean

# clean() handles C0/C1 controls; these are the other code points XML 1.0 forbids.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _xml(text, limit: int = 500) -> str:
    """Student text for an attribute or element: one cleaned line per line, nothing XML
    1.0 forbids (ESC, BEL, NUL, lone surrogates), newlines kept for element bodies."""
    lines = [clean(ln, limit=limit) for ln in str(text).split("\n")]
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", "\n".join(lines))


def _pts(x) -> str:
    return fmt_number(x, 6)


def _body(part) -> str:
    lines = message_lines(part)
    lines.append(f"points: {_pts(part.score)}/{_pts(part.max_score)}")
    return _xml("\n".join(lines))


def _testcase(suite, sub, problem, part) -> str:
    case = ET.SubElement(suite, "testcase", classname=_xml(problem.id), name=_xml(part.name),
                         file=_xml(sub.file), time="0")
    if part.line:
        case.set("line", str(part.line))
    if part.status in FAILING:
        first = next((ln for ln in part.feedback.split("\n") if ln.strip()),
                     part.status)
        elem = ET.SubElement(case, "failure", message=_xml(first, 200), type=part.status)
        elem.text = _body(part)
        return "failure"
    if part.status == "needs_review":
        elem = ET.SubElement(case, "skipped", message="needs review")
        elem.text = _body(part)
        return "skipped"
    out = ET.SubElement(case, "system-out")
    out.text = _body(part)
    return "passed"


def _properties(parent, **values) -> None:
    props = ET.SubElement(parent, "properties")
    for name, value in values.items():
        if value is not None:
            ET.SubElement(props, "property", name=name, value=_xml(value))


def render(submissions, *, hide_expected: bool = False) -> str:
    root = ET.Element("testsuites", name="hwcheck")
    totals = dict(tests=0, failures=0, errors=0, skipped=0)
    for sub in view(submissions, hide_expected):
        if sub.error is not None:
            suite = ET.SubElement(root, "testsuite", name=_xml(sub.file), tests="1",
                                  failures="0", errors="1", skipped="0", time="0")
            _properties(suite, file=sub.file, student=sub.student)
            case = ET.SubElement(suite, "testcase", classname="hwcheck", name="grade",
                                 file=_xml(sub.file), time="0")
            ET.SubElement(case, "error", message=_xml(sub.error, 400), type="error")
            totals["tests"] += 1
            totals["errors"] += 1
            continue
        for problem in sub.problems:
            suite = ET.SubElement(root, "testsuite", name=_xml(f"{sub.file}:{problem.id}"))
            _properties(suite, file=sub.file, student=sub.student, title=problem.title,
                        score=_pts(problem.score), max_score=_pts(problem.max_score),
                        seed=problem.seed)
            outcomes = [_testcase(suite, sub, problem, part)
                        for part in problem.parts]
            counts = dict(tests=len(outcomes), failures=outcomes.count("failure"), errors=0,
                          skipped=outcomes.count("skipped"))
            for key, value in counts.items():
                suite.set(key, str(value))
                totals[key] += value
            suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
