"""Server-side SVG charts (no chart library, no CDN, nothing for the CSP to refuse).

``{% bar_chart bars %}`` draws one bar per item; each item is a dict with ``label``, ``value``
(a number) and optionally ``url`` (the bar links to the rows behind it) and ``title`` (the tooltip).
Colours come from CSS classes in static/css/app.css, since inline styles are not allowed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

WIDTH, HEIGHT, AXIS = 320, 120, 18


@register.simple_tag
def bar_chart(bars: list[dict[str, Any]], caption: str = "") -> SafeString:
    if not bars:
        return format_html('<p class="empty">{}</p>', "No data yet.")
    peak = max((Decimal(str(bar["value"])) for bar in bars), default=Decimal("0")) or Decimal("1")
    slot = WIDTH / len(bars)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + AXIS}" role="img" '
        f'aria-label="{escape(caption)}" preserveAspectRatio="none">'
    ]
    for index, bar in enumerate(bars):
        value = Decimal(str(bar["value"]))
        height = float(value / peak) * (HEIGHT - 14)
        x = index * slot + slot * 0.15
        y = HEIGHT - height
        title = escape(bar.get("title") or f"{bar['label']}: {value}")
        rect = (
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}">'
            f"<title>{title}</title></rect>"
            f'<text class="value" x="{x + slot * 0.35:.1f}" y="{max(y - 2, 10):.1f}">{escape(_short(value))}</text>'
            f'<text class="axis" x="{x + slot * 0.35:.1f}" y="{HEIGHT + 13}">{escape(bar["label"])}</text>'
        )
        if bar.get("url"):
            rect = f'<a href="{escape(bar["url"])}">{rect}</a>'
        parts.append(rect)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated value is escaped above


def _short(value: Decimal) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.0f}"
