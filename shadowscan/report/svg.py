"""The HTML report's charts as inline SVG: no script, no library, no network.

`gauge`, `trend`, `services` and `demand` draw the report's charts from the one
Report; the rest are small drawing helpers. Each chart is a complete `<svg>`
with `role="img"`, an `aria-label` and a `<title>` (what a screen reader or a
tooltip says), and a `viewBox` so it scales with the page. Every piece of text
passes through `esc`: service names can come from a user's rule files.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from shadowscan.analyse.aggregate import Report
from shadowscan.report.safe import visible
from shadowscan.units import pct

SHADOW = "#d9480f"  # warm red-orange: use outside what the organisation pays for
OTHER = "#1c7ed6"  # blue: sanctioned or unattributed AI use
NO_USE = "#ced4da"  # grey: no AI use seen
PLAN = "#2f9e44"  # green: the vendor sells an enterprise plan the organisation could buy
NO_PLAN = "#868e96"  # grey: no enterprise plan known
#: the lighter tint of each, for the occasional (not regular) users of a demand bar
TINT = {PLAN: "#b2f2bb", NO_PLAN: "#dee2e6"}
INK = "#212529"
GRID = "#dee2e6"
WIDTH = 800
TOP_SERVICES = 15
LABEL_CHARS = 26  # a service name longer than this is clipped in the bar chart


@dataclass(frozen=True)
class Key:
    """A legend entry: what a colour means."""

    label: str
    colour: str


@dataclass(frozen=True)
class Bar:
    """One row of the bar chart: a total, its highlighted part, and the text after it."""

    label: str
    total: int
    highlighted: int
    note: str
    colour: str = SHADOW  # of the highlighted part
    rest: str = OTHER  # of the remainder


def esc(value: object, limit: int | None = None) -> str:
    """Log text made inert for HTML and SVG: control characters visible, then escaped.

    `limit` clips the visible text (ending it with `…`) before escaping, so an
    entity such as `&amp;` is never cut in half.
    """
    text = visible(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def gauge(report: Report) -> str:
    """The population as one bar: shadow AI users, other AI users, and no AI use seen."""
    h = report.headline
    whole = max(h.population or 0, h.ai_users)  # a stale headcount can be below the users seen
    other, idle = h.other_ai_users, whole - h.ai_users
    parts = [
        (
            Key(f"Shadow AI users: {h.shadow_users:,} ({pct(h.shadow_users_pct)})", SHADOW),
            h.shadow_users,
        ),
        (Key(f"Other AI users (sanctioned use only): {other:,}", OTHER), other),
        (Key(f"No AI use seen: {idle:,}", NO_USE), idle),
    ]
    label = (
        f"Of {whole:,} in the population, {h.shadow_users:,} used shadow AI, "
        f"{other:,} used other AI only, {idle:,} no AI"
    )
    return stacked_bar("chart-gauge", label, parts)


def trend(report: Report) -> str:
    """Daily users from the first to the last day with use; a day without use is zero."""
    rows = {r["start"]: r for r in report.daily.iter_rows(named=True)}
    days = []
    if rows:
        first = min(rows)
        days = [first + timedelta(days=i) for i in range((max(rows) - first).days + 1)]
    lines = [
        (Key(name, colour), [rows[d][column] if d in rows else 0 for d in days])
        for name, colour, column in [
            ("AI users", OTHER, "ai_users"),
            ("Shadow AI users", SHADOW, "shadow_users"),
        ]
    ]
    label = f"AI users and shadow AI users per day over {len(days)} day(s)"
    return line_chart("chart-trend", label, days, lines)


def services(report: Report) -> str:
    """Users per service, the most used first, each bar's shadow users highlighted.

    Services seen only through static or telemetry hosts have no users and no bar.
    """
    bars = [
        Bar(
            r["name"],
            r["users"],
            r["shadow_users"],
            f"{r['users']:,} ({r['shadow_users']:,} shadow)",
        )
        for r in report.services.filter(pl.col("users") > 0)
        .head(TOP_SERVICES)
        .iter_rows(named=True)
    ]
    label = f"Users per AI service, shadow users highlighted: {len(bars)} service(s)"
    keys = [Key("Shadow AI users", SHADOW), Key("Other AI users", OTHER)]
    return bar_chart("chart-services", label, bars, keys, "No AI services seen.")


def demand(report: Report) -> str:
    """Shadow users per service, regular ones solid, coloured by whether a plan could be bought."""
    d = report.decisions
    bars = [
        Bar(
            r["name"],
            r["shadow_users"],
            r["regular_shadow_users"],
            f"{r['shadow_users']:,} ({r['regular_shadow_users']:,} regular)",
            *((PLAN, TINT[PLAN]) if r["enterprise_plan"] else (NO_PLAN, TINT[NO_PLAN])),
        )
        for r in d.demand.head(TOP_SERVICES).iter_rows(named=True)
    ]
    label = (
        f"Shadow users per service, regular ones ({d.regular_days}+ days) solid: "
        f"{len(bars)} service(s)"
    )
    keys = [Key("Enterprise plan exists", PLAN), Key("No enterprise plan known", NO_PLAN)]
    return bar_chart("chart-demand", label, bars, keys, "No shadow AI use.")


def _chart(css_class: str, label: str, height: int, body: list[str]) -> str:
    """The `<svg>` wrapper every chart shares."""
    return (
        f'<svg class="{css_class}" role="img" aria-label="{esc(label)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
        f"<title>{esc(label)}</title>{''.join(body)}</svg>"
    )


def _text(
    x: float, y: float, value: object, anchor: str = "start", limit: int | None = None, **attrs
) -> str:
    """A text element; `font_weight="bold"` becomes the attribute `font-weight`."""
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    content = esc(value, limit)
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{content}</text>'


def _rect(x: float, y: float, w: float, h: float, colour: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{colour}"/>'
    )


def _legend(keys: list[Key], x: float, y: float, *, across: bool) -> list[str]:
    """A swatch and its text per key, side by side (`across`) or one under another."""
    out = []
    for i, key in enumerate(keys):
        kx, ky = (x + 200 * i, y) if across else (x, y + 22 * i)
        out += [_rect(kx, ky, 14, 14, key.colour), _text(kx + 22, ky + 12, key.label)]
    return out


def stacked_bar(css_class: str, label: str, parts: list[tuple[Key, int]]) -> str:
    """One bar split into parts in proportion (the gap gauge), with a legend below."""
    total = sum(n for _, n in parts)
    body, x, width = [], 1.0, WIDTH - 2
    if not total:
        body += [_rect(1, 8, width, 40, NO_USE), _text(WIDTH / 2, 33, "no one seen", "middle")]
    for key, n in parts if total else []:
        w = width * n / total
        body.append(_rect(x, 8, w, 40, key.colour))
        if w >= 36:  # room for the count inside the segment
            colour = INK if key.colour == NO_USE else "#fff"
            body.append(_text(x + w / 2, 34, f"{n:,}", "middle", fill=colour, font_weight="bold"))
        x += w
    body += _legend([key for key, _ in parts], 1, 64, across=False)
    return _chart(css_class, label, 64 + 22 * len(parts), body)


def _ticks(top: int) -> list[int]:
    """About four whole-number gridlines from 0 up to at least `top`."""
    step = max(1, math.ceil(top / 4))
    return list(range(0, max(top, 1) + step, step))


def line_chart(
    css_class: str, label: str, days: list[date], lines: list[tuple[Key, list[int]]]
) -> str:
    """One line per series over consecutive days, y from zero; a single day shows as dots."""
    if not days:
        return _chart(
            css_class, label, 80, [_text(WIDTH / 2, 45, "No AI use in this period.", "middle")]
        )
    left, right, top, bottom = 44, WIDTH - 40, 40, 230
    ticks = _ticks(max(max(values) for _, values in lines))
    span = max(len(days) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        x = (left + right) / 2 if len(days) == 1 else left + (right - left) * i / span
        return x, bottom - (bottom - top) * v / ticks[-1]

    body = _legend([key for key, _ in lines], left, 4, across=True)
    for t in ticks:
        y = xy(0, t)[1]
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 8, y + 4, t, "end"))
    every = math.ceil(len(days) / 8)  # at most eight date labels
    for i in range(0, len(days), every):
        body.append(_text(xy(i, 0)[0], bottom + 22, days[i].isoformat(), "middle"))
    for key, values in lines:
        points = [xy(i, v) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{key.colour}" stroke-width="2.5"/>'
        )
        body += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{key.colour}"/>' for x, y in points
        ]
    return _chart(css_class, label, bottom + 34, body)


def bar_chart(css_class: str, label: str, bars: list[Bar], keys: list[Key], empty: str) -> str:
    """Horizontal bars, the highlighted part of each drawn from the left in its own colour."""
    if not bars:
        return _chart(css_class, label, 60, [_text(WIDTH / 2, 35, empty, "middle")])
    names, row, top = 200, 26, 34
    scale = (WIDTH - names - 160) / max(max(b.total for b in bars), 1)
    body = _legend(keys, names, 4, across=True)
    for i, bar in enumerate(bars):
        y = top + i * row
        body.append(_text(names - 8, y + 15, bar.label, "end", limit=LABEL_CHARS))
        body.append(_rect(names, y + 2, bar.total * scale, row - 8, bar.rest))
        body.append(_rect(names, y + 2, bar.highlighted * scale, row - 8, bar.colour))
        body.append(_text(names + bar.total * scale + 6, y + 15, bar.note))
    return _chart(css_class, label, top + row * len(bars) + 4, body)
