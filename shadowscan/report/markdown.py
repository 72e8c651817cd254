"""`report --format markdown`: the report as GitHub-flavoured Markdown, for tickets and wikis."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.analyse.aggregate import Report
from shadowscan.report.safe import visible
from shadowscan.report.tables import flat_tables

TITLES = {
    "services": "AI services",
    "categories": "By category",
    "departments": "By department",
    "shadow_identities": "Top shadow identities",
    "seats": "Sanctioned grants",
    "new_services": "New in this period",
    "weekly": "Weekly trend",
}


def md(value: object) -> str:
    """Log text made inert: no Markdown emphasis, links, HTML or table breaks."""
    text = visible("" if value is None else value)
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(report: Report) -> str:
    h, p = report.headline, report.period
    title = f"shadowscan report: {md(h.organization)}" if h.organization else "shadowscan report"
    lines = [
        f"# {title}",
        "",
        f"{p.start:%Y-%m-%d %H:%M} to {p.end:%Y-%m-%d %H:%M} UTC",
        "",
        f"**{md(h.sentence)}**",
        "",
    ]
    tables = flat_tables(report)
    lines += _table(tables["headline"].filter(pl.col("metric") != "sentence"))
    for name, title in TITLES.items():
        if tables[name].height:
            lines += ["", f"## {title}", "", *_table(tables[name])]
    lines += _decisions(report, tables)
    if report.notes:
        lines += ["", "## Notes", "", *(f"- {md(n)}" for n in report.notes)]
    return "\n".join(lines) + "\n"


def _decisions(report: Report, tables: dict[str, pl.DataFrame]) -> list[str]:
    """Demand (a sentence per service), risk, money, champions, benchmark, then their tables."""
    d = report.decisions
    demand = [f"- {md(s)}" for s in d.demand["sentence"]] or ["No shadow AI use in this period."]
    sections = [
        ("Demand", demand, tables["demand"].drop("sentence")),
        ("Risk", [md(d.risk.sentence)], tables["risk_by_headquarters"]),
        ("Money", [md(d.money.sentence)], None),
        ("Champions", [md(d.champions_sentence)], tables["champions"]),
        ("Benchmark", [md(f"{d.benchmark.sentence} Source: {d.benchmark.source}.")], None),
    ]
    lines = []
    for title, text, frame in sections:
        lines += ["", f"## {title}", "", *text]
        if frame is not None and frame.height:
            lines += ["", *_table(frame)]
    return lines


def _table(frame: pl.DataFrame) -> list[str]:
    head = "| " + " | ".join(md(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(md(v) for v in row) + " |" for row in frame.iter_rows()]
    return [head, rule, *rows]
