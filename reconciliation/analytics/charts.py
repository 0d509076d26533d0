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


def bar_chart(bars: list[Bar], *, title: str, width: int = 560, row: int = 36) -> SafeString:
    """Horizontal bars scaled to the largest absolute value, each under its label; negative values
    (recoveries) in another colour. An empty chart says so."""
    if not bars:
        return format_html('<p class="empty">{}: nothing in this period.</p>', title)
    top = max((abs(b.value) for b in bars), default=Decimal(0)) or Decimal(1)
    room = width - 90  # what is left after the value written after the bar
    height = row * len(bars) + 4
    parts = []
    for i, bar in enumerate(bars):
        y = i * row
        length = max(int(abs(bar.value) / top * room), 1)
        parts.append(
            (
                bar.url,
                f"{bar.label}: {bar.value}",
                y + 13,
                bar.label[:70],
                "bar negative" if bar.value < 0 else "bar",
                y + 17,
                length,
                row - 21,
                length + 6,
                y + 28,
                bar.value,
            )
        )
    body = format_html_join(
        "",
        '<a href="{}"><title>{}</title><text x="0" y="{}" class="chart-label">{}</text>'
        '<rect class="{}" x="0" y="{}" width="{}" height="{}"></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text></a>',
        parts,
    )
    return format_html(
        '<svg class="hbars" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        width,
        height,
        width,
        height,
        mark_safe(body),  # noqa: S308 - built by format_html_join, every value escaped
    )
