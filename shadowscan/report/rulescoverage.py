"""`rules coverage` output: the catalogue's share of AI-looking traffic, then its misses."""

from __future__ import annotations

import json
from dataclasses import asdict

from rich.console import Console
from rich.text import Text

from shadowscan import __version__
from shadowscan.analyse.coverage import Coverage, Tally
from shadowscan.report import candidates
from shadowscan.report.jsonout import iso, records

SCHEMA = "shadowscan.coverage/1"


def render(result: Coverage, console: Console) -> None:
    p = result.period
    console.print(Text(f"Catalogue coverage, {p.start:%Y-%m-%d} to {p.end:%Y-%m-%d}", style="bold"))
    pct = result.covered_pct()
    if pct["events"] is None:
        console.print("No AI-looking traffic in the period.")
        return
    console.print(
        "AI-looking traffic the catalogue covers: "
        + ", ".join(f"{_pct(pct[k])} of {k}" for k in ("events", "identities", "hosts"))
    )
    console.print(f"  matched by the catalogue: {_tally(result.known)}")
    console.print(
        f"  no rule knows (leads): {_tally(result.unknown)}, under {result.lead_domains} "
        f"registered domain(s), {result.new_domains} with no rule in the catalogue at all"
    )
    if result.leads.height:
        candidates.render(result.leads, p, console)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _tally(t: Tally) -> str:
    return f"{t.events} events, {t.identities} identities, {t.hosts} hosts"


def to_json(result: Coverage) -> str:
    doc = {
        "schema": SCHEMA,
        "generator": f"shadowscan {__version__}",
        "period": {"start": iso(result.period.start), "end": iso(result.period.end)},
        "covered_pct": result.covered_pct(),
        "known": asdict(result.known),
        "unknown": asdict(result.unknown),
        "ai_looking": asdict(result.ai_looking),
        "lead_domains": result.lead_domains,
        "new_domains": result.new_domains,
        "leads": records(result.leads),
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
