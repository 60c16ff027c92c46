"""The HTML class report in a real browser: Debian's ``chromium``, headless (installed by
``.ci/run``; the tests skip with a message where it is absent).

The page has no script, so "no script errors" is: no <script> in the DOM the browser built,
and nothing on the browser's console (a blocked fetch, a CSP refusal, an uncaught error).
Links resolve when every ``href="#id"`` has an element with that id in that DOM. A
screenshot is saved for review; its path is printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.helpers import EXAMPLES, ROOT
from tests.support.htmlpage import parse
from tests.support.runners import run

sys.path.insert(0, str(ROOT / "benchmarks"))
import classgen  # noqa: E402

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="chromium is not installed "
                                "(.ci/run installs Debian's chromium; apt-get install chromium)")
GUARD = 180   # seconds: a hang guard for the browser, not a timing assertion
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def chromium(page: Path, *extra: str, url_fragment: str = "") -> subprocess.CompletedProcess:
    url = page.resolve().as_uri() + (f"#{url_fragment}" if url_fragment else "")
    with tempfile.TemporaryDirectory(prefix="hwcheck-chromium-") as profile:
        return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *extra, url],
                              capture_output=True, text=True, timeout=GUARD)


def _console_errors(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines()
            if "CONSOLE" in ln or "Refused to" in ln or "Uncaught" in ln]


@pytest.fixture(scope="module")
def class_page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    folder = tmp / "class"
    files = classgen.make_class(folder, 30, corrupt_every=10)
    page = tmp / "class.html"
    out = run("grade", folder, "--format", "html", "--output", page, "--jobs", "1")
    assert out.exit_code == 1, out.output
    return page, len(files)


def test_class_page_in_chromium(class_page):
    page, students = class_page
    shown = chromium(page, "--dump-dom")
    assert shown.returncode == 0, shown.stderr[-2000:]
    dom = parse(shown.stdout)
    assert dom.tags["script"] == 0 and not _console_errors(shown.stderr)
    assert not dom.dangling(), dom.dangling()[:5]
    assert not dom.external, dom.external[:5]
    parts = 11   # the shipped problems' parts: one histogram and one status bar each
    assert dom.classes["histogram"] == dom.classes["shares"] == parts
    assert dom.tags["svg"] == 2 * parts
    for table in ("summary", "diagnoses", "students"):
        assert dom.classes[table] == 1, table
    assert dom.classes["report"] == students
    assert dom.classes["cluster"] >= 1
    assert sum(h.startswith("#s-") for h in dom.hrefs) == students
    assert "Class report" in dom.plain and "could not grade" in dom.plain


def test_a_students_link_opens_their_report(class_page):
    """Following #s-3 (the students table's link) opens that report's <details> alone."""
    page, _ = class_page
    shown = chromium(page, "--dump-dom", url_fragment="s-3")
    opened = re.findall(r'<details class="report" open[^>]*>.*?</summary><div id="(s-\d+)"',
                        shown.stdout)
    assert opened == ["s-3"], opened


def test_screenshot_of_the_class_page(class_page):
    page, _ = class_page
    shot = Path(tempfile.gettempdir()) / "hwcheck-class-report.png"
    shot.unlink(missing_ok=True)
    done = chromium(page, f"--screenshot={shot}", "--window-size=1280,2400",
                    "--hide-scrollbars")
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"\nscreenshot of the class report: {shot}")


def test_single_submission_page_in_chromium(tmp_path):
    page = tmp_path / "one.html"
    out = run("grade", EXAMPLES / "seed-answers.yaml", "-f", "html", "-o", page)
    assert out.exit_code == 1, out.output
    shown = chromium(page, "--dump-dom")
    dom = parse(shown.stdout)
    assert dom.classes["report"] == 1 and dom.tags["script"] == 0
    assert not _console_errors(shown.stderr)
    assert "seed-student" in dom.plain
