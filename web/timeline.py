"""The date timeline: a DateHistogram laid out as SVG bars, each a link to its date range.

Only geometry and labels are computed here; the template draws the SVG, so every label
passes through Jinja's autoescaping like any other text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from search.results import DateHistogram

WIDTH = 1000  # viewBox units; the SVG stretches to the column's width
HEIGHT = 100
GAP_RATIO = 0.2  # of a bar's slot, left empty between bars
MIN_VISIBLE = 2.0  # a bucket with a few articles still shows a sliver
MIN_SLOTS = 12  # bars are at most 1/12 of the width


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str  # "Mar 1987"
    description: str  # "Mar 1987: 1,204 articles" (link title and accessible name)
    href: str
    selected: bool  # inside the current from/to range


@dataclass(frozen=True)
class Timeline:
    unit: str
    bars: list[Bar]
    first_label: str
    last_label: str
    max_count: int
    outside: str = ""  # "2 articles dated earlier and 1 later are not shown" (outliers), or ""
    single: bool = False  # one bar (one day, month or year): its label is its axis
    bar_count: int = 0

    @property
    def axis_class(self) -> str:
        """With fewer than MIN_SLOTS bars the bars are centred; the axis is inset as much (.axis-bars-N)."""
        return f"axis-bars-{self.bar_count}" if 1 < self.bar_count < MIN_SLOTS else ""

    width: int = WIDTH
    height: int = HEIGHT


def articles(count: int) -> str:
    return f"{count:,} article" + ("" if count == 1 else "s")


def build_timeline(
    histogram: DateHistogram,
    link: Callable[[str, str], str],
    date_from: date | None = None,
    date_to: date | None = None,
) -> Timeline | None:
    """Bars for the histogram's buckets; None when there is nothing to draw."""
    buckets = histogram.buckets
    if not buckets or not any(b.count for b in buckets):
        return None
    top = max(b.count for b in buckets)
    # A bar is never wider than one of MIN_SLOTS: a one-day result set is one labelled bar in the
    # middle, not a block the width of the page that looks like a full timeline.
    slot = WIDTH / max(len(buckets), MIN_SLOTS)
    gap = slot * GAP_RATIO
    left = (WIDTH - slot * len(buckets)) / 2
    bars = []
    for i, bucket in enumerate(buckets):
        height = 0.0 if bucket.count == 0 else max(MIN_VISIBLE, HEIGHT * bucket.count / top)
        start, end = date.fromisoformat(bucket.start), date.fromisoformat(bucket.end)
        selected = (
            (date_from is not None or date_to is not None)
            and (date_from is None or start >= date_from)
            and (date_to is None or end <= date_to)
        )
        bars.append(
            Bar(
                x=round(left + i * slot + gap / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                count=bucket.count,
                label=bucket.label,
                description=f"{bucket.label}: {articles(bucket.count)}",
                href=link(bucket.start, bucket.end),
                selected=bool(selected),
            )
        )
    return Timeline(
        unit=histogram.unit,
        bars=bars,
        first_label=buckets[0].label,
        last_label=buckets[-1].label,
        max_count=top,
        outside=_outside(histogram),
        single=len(buckets) == 1,
        bar_count=len(buckets),
    )


def _outside(histogram: DateHistogram) -> str:
    parts = []
    if histogram.before:
        parts.append(f"{articles(histogram.before)} dated before {histogram.buckets[0].label}")
    if histogram.after:
        parts.append(f"{articles(histogram.after)} dated after {histogram.buckets[-1].label}")
    return " and ".join(parts) + " not shown." if parts else ""
