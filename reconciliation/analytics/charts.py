"""Server-side SVG bar charts: no JavaScript, no CDN, no inline style (the CSP forbids it).

A chart is a list of bars (label, value, link); each bar is a link to the lines behind it and
carries a ``<title>`` with its exact figure. Colours come from ``app.css`` classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    url: str


def bar_chart(
    bars: list[Bar], *, title: str, width: int = 560, row: int = 22, label_width: int = 180
) -> SafeString:
    """Horizontal bars scaled to the largest absolute value; negative values (recoveries) in another
    colour. An empty chart says so."""
    if not bars:
        return format_html('<p class="empty">{}: nothing in this period.</p>', title)
    top = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    room = width - label_width - 90
    height = row * len(bars) + 4
    parts = []
    for i, bar in enumerate(bars):
        y = i * row + 2
        length = max(int(abs(bar.value) / top * room), 1)
        parts.append(
            (
                bar.url,
                f"{bar.label}: {bar.value}",
                label_width - 6,
                y + row * 0.7,
                bar.label[:28],
                "bar negative" if bar.value < 0 else "bar",
                label_width,
                y + 3,
                length,
                row - 6,
                label_width + length + 6,
                y + row * 0.7,
                bar.value,
            )
        )
    body = format_html_join(
        "",
        '<a href="{}"><title>{}</title><text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text></a>',
        parts,
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        width,
        height,
        width,
        height,
        mark_safe(body),  # noqa: S308 - built by format_html_join, every value escaped
    )
