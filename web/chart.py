"""Attention over time as a server-rendered SVG bar chart: no JavaScript, scales to the width of
a phone (a viewBox, bars as a share of it), each bar titled with its period and count."""
from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, LABELS = 600, 120, 16


def bar_chart(buckets: list[dict], label: str) -> Markup:
    if not buckets:
        return Markup("")
    most = max(b["count"] for b in buckets) or 1
    step = WIDTH / len(buckets)
    bars = []
    for n, bucket in enumerate(buckets):
        height = max(1.0, (HEIGHT - LABELS) * bucket["count"] / most)
        bars.append(f'<rect x="{n * step + step * 0.1:.2f}" y="{HEIGHT - LABELS - height:.2f}" width="{step * 0.8:.2f}" '
                    f'height="{height:.2f}"><title>{escape(bucket["value"])}: {bucket["count"]}</title></rect>')
    first, last = escape(buckets[0]["value"]), escape(buckets[-1]["value"])
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'preserveAspectRatio="none" width="100%" height="{HEIGHT}">'
        f'<title>{escape(label)}</title>{"".join(bars)}'
        f'<text x="0" y="{HEIGHT - 2}" font-size="12">{first}</text>'
        f'<text x="{WIDTH}" y="{HEIGHT - 2}" font-size="12" text-anchor="end">{last}</text>'
        f'<text x="{WIDTH}" y="12" font-size="12" text-anchor="end">max {most}</text></svg>')


SPARK_WIDTH, SPARK_HEIGHT = 84, 20


def sparkline(counts: list[int], label: str) -> Markup:
    """A small inline polyline of counts (articles per day), the last point marked."""
    if not counts:
        return Markup("")
    most = max(counts) or 1
    step = SPARK_WIDTH / max(1, len(counts) - 1)
    points = [(n * step, SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * c / most) for n, c in enumerate(counts)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    return Markup(
        f'<svg class="spark" role="img" aria-label="{escape(label)}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
        f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}"><title>{escape(label)}: {", ".join(map(str, counts))}</title>'
        f'<polyline fill="none" stroke="#4a6fa5" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#4a6fa5"/></svg>')
