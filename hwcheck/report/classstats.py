"""What a class summary shows, counted once for the text and HTML reports: per part the
scores as a histogram and the share of each status, and the named diagnoses ranked by how
many students made them. Counting only; every number comes from the results."""

from __future__ import annotations

from collections import Counter

from hwcheck.frozen import frozen
from hwcheck.report.numbers import fmt_number

BINS = 5            # equal-width bins when a part has more distinct scores than MAX_DISTINCT
MAX_DISTINCT = 6


@frozen
class PartStats:
    """One part's statistics over a class."""

    problem: str
    title: str
    part: str
    max_score: float
    graded: int                            # submissions with this part
    mean: float
    bins: tuple[tuple[str, int], ...]      # (label, count), low scores first
    statuses: tuple[tuple[str, int], ...]  # (status, count), in STATUSES order


@frozen
class Diagnosis:
    """One diagnosis and how many students' parts it named."""

    slug: str
    count: int
    parts: tuple[tuple[str, int], ...]     # ("p5 W", count), most first


def share(n: int, total: int) -> str:
    """A percentage that never rounds a few students away to "0%"."""
    if not total:
        return "0%"
    if 0 < n < total and n / total < 0.01:
        return "<1%"
    if n < total and n / total > 0.99:
        return ">99%"
    return f"{n / total:.0%}"


def part_stats(subs, statuses) -> list[PartStats]:
    scores: dict[tuple[str, str], list[float]] = {}
    counts: dict[tuple[str, str], Counter] = {}
    meta: dict[tuple[str, str], tuple[str, float]] = {}
    for sub in subs:
        if sub.error is not None:
            continue
        for pr in sub.problems:
            for p in pr.parts:
                key = (pr.id, p.name)
                scores.setdefault(key, []).append(p.score)
                counts.setdefault(key, Counter())[p.status] += 1
                meta.setdefault(key, (pr.title, p.max_score))
    out = []
    for key, values in scores.items():
        title, max_score = meta[key]
        order = list(statuses) + sorted(set(counts[key]) - set(statuses))
        out.append(PartStats(key[0], title, key[1], max_score, len(values),
                             sum(values) / len(values), histogram(values, max_score),
                             tuple((s, counts[key][s]) for s in order if counts[key][s])))
    return out


def histogram(values, max_score: float) -> tuple[tuple[str, int], ...]:
    """Each distinct score with its count when there are few (0, half and full credit);
    otherwise BINS equal bins from 0 to ``max_score``."""
    distinct = sorted(set(values))
    if len(distinct) <= MAX_DISTINCT:
        c = Counter(values)
        # The ends always show, so that "nobody got full marks" is seen as an empty bar.
        shown = sorted(set(distinct) | {0.0, float(max_score)})
        if len(shown) <= MAX_DISTINCT:
            return tuple((fmt_number(v, 3), c[v]) for v in shown)
    top = max(float(max_score), max(values), 1e-12)
    low = min(0.0, min(values))
    width = (top - low) / BINS
    bins = [0] * BINS
    for v in values:
        bins[min(int((v - low) / width), BINS - 1)] += 1
    return tuple((f"{fmt_number(low + i * width, 2)}–{fmt_number(low + (i + 1) * width, 2)}",
                  n) for i, n in enumerate(bins))


def diagnoses(subs) -> list[Diagnosis]:
    """Every named diagnosis, the most common first (ties by name, for a stable report)."""
    seen: Counter = Counter()
    where: dict[str, Counter] = {}
    for sub in subs:
        if sub.error is not None:
            continue
        for pr in sub.problems:
            for p in pr.parts:
                if p.diagnosis:
                    seen[p.diagnosis] += 1
                    where.setdefault(p.diagnosis, Counter())[f"{pr.id} {p.name}"] += 1
    ranked = sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Diagnosis(slug, n, tuple(where[slug].most_common())) for slug, n in ranked]
