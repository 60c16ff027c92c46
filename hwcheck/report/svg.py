"""Small SVG charts drawn by hwcheck for the HTML report: a histogram and a stacked share
bar. Inline SVG needs no library, no script and no network, and prints. Every label is
escaped here; callers pass plain text."""

from __future__ import annotations

from html import escape

from hwcheck.report.classstats import share

STATUS_COLOURS = {"correct": "#2e7d32", "wrong": "#c62828", "invalid": "#8e24aa",
                  "missing": "#f9a825", "needs_review": "#0277bd"}
OTHER = "#757575"


def histogram(bins, *, title: str, width: int = 300, height: int = 130) -> str:
    """Bars of ``bins`` ((label, count) pairs), each labelled with its count."""
    top, bottom, left = 14, 22, 4
    inner = height - top - bottom
    peak = max((n for _, n in bins), default=0) or 1
    step = (width - 2 * left) / max(len(bins), 1)
    out = [_open("chart histogram", title, width, height)]
    for i, (label, n) in enumerate(bins):
        h = inner * n / peak
        x = left + i * step
        y = top + inner - h
        out.append(f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" '
                   f'height="{h:.1f}" fill="#5c6bc0"><title>{escape(label)}: {n}</title>'
                   f'</rect>')
        out.append(f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                   f'font-size="10">{n}</text>')
        out.append(f'<text x="{x + step / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                   f'font-size="10">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def share_bar(shares, *, title: str, width: int = 300) -> str:
    """One bar split by status ((status, count) pairs), with a legend of percentages that
    wraps onto a second row when it must."""
    total = sum(n for _, n in shares) or 1
    labels = [f"{status.replace('_', ' ')} {share(n, total)}" for status, n in shares]
    rows, lx = 1, 0.0
    for label in labels:
        step = 16 + 6.2 * len(label)
        if lx and lx + step > width:
            rows, lx = rows + 1, 0.0
        lx += step
    out = [_open("chart shares", title, width, 26 + 14 * rows)]
    x = 0.0
    legend = []
    for status, n in shares:
        w = width * n / total
        colour = STATUS_COLOURS.get(status, OTHER)
        out.append(f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="16" fill="{colour}">'
                   f'<title>{escape(status)}: {n} ({share(n, total)})</title></rect>')
        x += w
        legend.append((status, n, colour))
    lx, y = 0.0, 26
    for (status, n, colour), label in zip(legend, labels):
        step = 16 + 6.2 * len(label)
        if lx and lx + step > width:
            lx, y = 0.0, y + 14
        out.append(f'<rect x="{lx:.1f}" y="{y}" width="9" height="9" fill="{colour}"/>'
                   f'<text x="{lx + 12:.1f}" y="{y + 8}" font-size="10">{escape(label)}'
                   f'</text>')
        lx += step
    out.append("</svg>")
    return "".join(out)


def _open(cls: str, title: str, width: int, height: int) -> str:
    return (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>')
