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
