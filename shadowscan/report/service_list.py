"""`rules list`: the catalogue's services, their facts and how many rules each has."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from shadowscan.match.service import Service
from shadowscan.report.safe import cell


def to_json(services: list[Service]) -> str:
    return json.dumps([_service_doc(s) for s in services], indent=2) + "\n"


def render(services: list[Service], console: Console) -> None:
    table = Table(title=f"{len(services)} AI services", title_justify="left")
    for column in ("Id", "Name", "Category", "Vendor", "HQ", "Consumer training", "Hosts"):
        table.add_column(column)
    for s in services:
        fact = {k: str(f.value) for k, f in s.facts.items()}
        table.add_row(
            *map(cell, (s.id, s.name, s.category, s.vendor)),
            cell(fact.get("headquarters", "-")),
            cell(fact.get("consumer_training", "-")),
            cell(len(s.hosts) + len(s.paths)),
        )
    console.print(table)


def _service_doc(s: Service) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "vendor": s.vendor,
        "category": s.category,
        "homepage": s.homepage,
        "aliases": list(s.aliases),
        "facts": {k: {"value": f.value, "source": f.source} for k, f in s.facts.items()},
        "hosts": [
            {"pattern": r.pattern, "match": r.kind, "signal": r.signal, "plan": r.plan}
            for r in s.hosts
        ],
        "paths": [
            {"host": r.host, "prefix": r.prefix, "signal": r.signal, "plan": r.plan}
            for r in s.paths
        ],
        "file": str(s.source),
    }
