"""Every selected rule as CSV, one row per host or path rule."""

from __future__ import annotations

import csv
import io

from shadowscan.ruleexport import Selection

COLUMNS = ("service_id", "service", "vendor", "category", "kind", "host", "path_prefix",
           "signal", "plan")  # fmt: skip


def render(selection: Selection) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rule in selection.hosts:
        writer.writerow(_row(selection, rule.service_id, rule.kind, rule.pattern, "", rule))
    for rule in selection.paths:
        writer.writerow(_row(selection, rule.service_id, "path", rule.host, rule.prefix, rule))
    return out.getvalue()


def _row(selection: Selection, sid: str, kind: str, host: str, prefix: str, rule) -> list[str]:
    service = selection.services[sid]
    cells = [sid, service.name, service.vendor, service.category, kind, host, prefix,
             rule.signal, rule.plan]  # fmt: skip
    return [_inert(c) for c in cells]


def _inert(text: str) -> str:
    """A spreadsheet would run a cell starting with = + - @ as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
