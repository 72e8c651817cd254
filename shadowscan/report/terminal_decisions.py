"""The terminal's decision sections: demand, risk, money, champions and the benchmark.

Each section opens with its plain sentence, then its table; every figure
comes from `report.decisions`, computed once in `analyse/decisions.py`.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from shadowscan.analyse.aggregate import Report
from shadowscan.report.fit import fitted_table
from shadowscan.report.safe import cell, visible
from shadowscan.units import amount, human_bytes

PLAN = {True: "yes", False: "no", None: "unknown"}


def sections(report: Report, width: int) -> list[RenderableType]:
    """Demand, risk, money, champions and benchmark, in the order a reader decides."""
    d = report.decisions
    out: list[RenderableType] = []
    if d.demand.height:
        out += [_lead("Demand", d.demand["sentence"][0]), _demand(report, width)]
    if d.risk.by_headquarters.height:
        out += [_lead("Risk", d.risk.sentence), _countries(report, width)]
    if report.headline.has_policy:
        out.append(_lead("Money", d.money.sentence))
    out.append(_lead("Champions", d.champions_sentence))
    if d.champions.height:
        out.append(_champions(report, width))
    out.append(_lead("Benchmark", d.benchmark.sentence + f" ({d.benchmark.source})"))
    return out


def _lead(title: str, sentence: str) -> Text:
    text = Text(f"{title}: ", style="bold")
    text.append(visible(sentence))
    return text


def _uploaded(value: int | None) -> str:
    return "-" if value is None else human_bytes(value)


def _demand(report: Report, width: int) -> RenderableType:
    currency = report.headline.currency
    rows = [
        [
            cell(r["name"]),
            f"{r['shadow_users']:,}",
            f"{r['regular_shadow_users']:,}",
            cell(", ".join(f"{d['department']} ({d['shadow_users']})" for d in r["departments"])),
            "yes" if r["sanctioned"] else "no",
            PLAN[r["enterprise_plan"]],
            cell(r["consumer_training"] or "unknown"),
            cell(r["headquarters"] or "?"),
            _uploaded(r["shadow_upload_bytes"]),
            amount(r["price_per_seat_month"], currency),
            amount(r["cost_to_cover_per_month"], currency),
        ]
        for r in report.decisions.demand.iter_rows(named=True)
    ]
    columns = [
        "Service",
        "Shadow>",
        "Regular>",
        "Departments",
        "Bought",
        "Enterprise plan",
        "Training",
        "HQ",
        "Uploaded>",
        "Seat price>",
        "To cover>",
    ]
    drop = set() if report.departments.height else {"Departments"}
    title = f"Demand: shadow use per service (regular: {report.decisions.regular_days}+ days)"
    return fitted_table(title, columns, rows, drop, width)


def _countries(report: Report, width: int) -> RenderableType:
    rows = [
        [
            cell(r["headquarters"] or "unknown"),
            f"{r['shadow_users']:,}",
            _uploaded(r["upload_bytes"]),
            cell(", ".join(r["services"])),
        ]
        for r in report.decisions.risk.by_headquarters.iter_rows(named=True)
    ]
    columns = ["Vendor country", "Shadow users>", "Uploaded>", "Services"]
    return fitted_table("Shadow use by vendor headquarters", columns, rows, set(), width)


def _champions(report: Report, width: int) -> RenderableType:
    rows = [
        [
            cell(r["department"] or "-"),
            cell(r["identity"]),
            cell(", ".join(r["services"])),
            f"{r['active_days']:,}",
            f"{r['events']:,}",
            "yes" if r["shadow"] else "no",
        ]
        for r in report.decisions.champions.iter_rows(named=True)
    ]
    columns = ["Department", "Identity", "Services", "Days>", "Events>", "Shadow use"]
    drop = set() if report.departments.height else {"Department"}
    return fitted_table("Champions: the most regular AI users", columns, rows, drop, width)
