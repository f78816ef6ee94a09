"""Template helpers for the owner dashboard: navigation links, KPI values and changes, sparklines."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag(takes_context=True)
def navlink(context, url_name: str, label: str, exact: bool = False):
    """A navigation link, marked as the current page (aria-current) when the page is in its section."""
    url = reverse(url_name)
    path = context["request"].path
    current = path == url if exact else path.startswith(url)
    if current:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


@register.filter
def kpi_value(value, kind: str) -> str:
    """A KPI as an owner reads it: 1,234 · 3.4 % · 7.2 (a position); "–" when there's no data."""
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f} %"
    if kind == "position":
        return f"{value:.1f}"
    if isinstance(value, float) and not value.is_integer():
        return intcomma(round(value, 2))
    return intcomma(int(value))


@register.filter
def kpi_change(delta, unit: str) -> str:
    """The change against the previous period: +12.5 % · −1.2 pts · −0.8 (positions)."""
    if delta is None:
        return "no data to compare"
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    amount = abs(delta)
    if unit == "percent":
        return f"{sign}{amount:g} %"
    if unit == "points":
        return f"{sign}{amount:g} pts"
    return f"{sign}{amount:g}"


SPARK_WIDTH, SPARK_HEIGHT = 120, 28


@register.simple_tag
def sparkline(values, label: str = ""):
    """A small SVG line of `values` (None is a gap): drawn on the server, so it needs no script and
    shows without JavaScript. Empty when there's nothing to draw."""
    numbers = [v for v in values if v is not None]
    if len(numbers) < 2:
        return ""
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1
    step = SPARK_WIDTH / (len(values) - 1)
    segments, current = [], []
    for i, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = SPARK_HEIGHT - 2 - (value - low) / span * (SPARK_HEIGHT - 4)
        current.append(f"{i * step:.1f},{y:.1f}")
    if current:
        segments.append(current)
    lines = format_html_join("", '<polyline points="{}"/>', ((" ".join(p),) for p in segments if len(p) > 1))
    return format_html(
        '<svg class="spark" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" aria-label="{}">{}</svg>',
        SPARK_WIDTH,
        SPARK_HEIGHT,
        label,
        lines,
    )
