"""The text class summary's per-part score histograms and ranked diagnoses (the HTML
page shows the same counts, from ``report.classstats``), in 80 columns."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from hwcheck.report import classstats
from hwcheck.report.grade_text import COUNT_WORD, STATUS, _pts, safe
from hwcheck.spec.load import STATUSES

DIAGNOSES = 10      # diagnoses listed in a class summary; a count says the rest


def diagnoses(graded, console) -> None:
    """Every named diagnosis ranked by how many students made it (the first DIAGNOSES)."""
    ranked = classstats.diagnoses(graded)
    if not ranked:
        return
    table = Table(box=box.SIMPLE_HEAD, title="Diagnoses, most common first",
                  title_justify="left", title_style="bold", header_style="bold",
                  show_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("diagnosis", overflow="fold")
    table.add_column("students", justify="right", no_wrap=True)
    table.add_column("parts", overflow="fold", max_width=36)
    for rank, d in enumerate(ranked[:DIAGNOSES], start=1):
        table.add_row(str(rank), safe(d.slug), str(d.count),
                      safe(", ".join(f"{p} ({n})" for p, n in d.parts[:3])
                           + (", …" if len(d.parts) > 3 else "")))
    console.print(Group(Text(""), table))
    if len(ranked) > DIAGNOSES:
        console.print(Text(f"… and {len(ranked) - DIAGNOSES} more diagnoses", style="dim"))


SPARK = "▁▂▃▄▅▆▇█"
SHORT = {"correct": "✓", "wrong": "✗", "invalid": "!", "missing": "∅", "needs_review": "?"}


def _spark(bins) -> Text:
    """A histogram in one line: a block per bin, its height the bin's share of the peak
    (an empty bin is a dot, so that "nobody" is not mistaken for "a few")."""
    peak = max((n for _, n in bins), default=0) or 1
    text = Text()
    for _, n in bins:
        text.append(SPARK[min(len(SPARK) - 1, int(n / peak * (len(SPARK) - 1) + 0.5))] * 2
                    if n else "··", style="blue" if n else "dim")
    return text


def histograms(graded, console) -> None:
    stats = classstats.part_stats(graded, STATUSES)
    if not stats:
        return
    table = Table(box=box.SIMPLE_HEAD, title="Parts: scores from 0 to full, and statuses",
                  title_justify="left", title_style="bold", header_style="bold",
                  show_edge=False)
    table.add_column("part", overflow="fold", max_width=24)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("scores", no_wrap=True)
    table.add_column("bins", overflow="fold", style="dim", max_width=16)
    table.add_column("statuses", overflow="fold")
    for st in stats:
        shares = Text()
        for status, n in st.statuses:
            if shares:
                shares.append(" ")
            style = STATUS.get(status, ("", ""))[1]
            shares.append(f"{SHORT.get(status, status)}{classstats.share(n, st.graded)}",
                          style=style)
        labels = f"{st.bins[0][0]}…{st.bins[-1][0]}".replace("–", "-")
        table.add_row(safe(f"{st.problem} {st.part}"), f"{_pts(st.mean)}/{_pts(st.max_score)}",
                      _spark(st.bins), Text(labels), shares)
    console.print(Group(Text(""), table))
    console.print(Text("  " + "  ".join(f"{SHORT[k]} {COUNT_WORD.get(k, k)}"
                                        for k in STATUSES if k in SHORT), style="dim"))
