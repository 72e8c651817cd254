"""Sigma rules, one per service and log source (`proxy`, `dns`), in one YAML stream.

Values are written as JSON strings, which YAML reads as double-quoted
scalars, so a service name can never break the document. Rule ids are UUIDv5
of what the rule matches: stable from one export to the next.
"""

from __future__ import annotations

import json
import uuid

from shadowscan.ruleexport import Selection

NAMESPACE = uuid.UUID("6f1d8a52-3c55-4c3e-9a59-0d5b1f6c2a10")
FIELDS = {"proxy": "cs-host", "dns": "query"}


def render(selection: Selection) -> str:
    docs = []
    for sid, service in selection.services.items():
        hosts = [r for r in selection.hosts if r.service_id == sid]
        paths = [r for r in selection.paths if r.service_id == sid]
        for source, field in FIELDS.items():
            selections = _selections(field, hosts, paths if source == "proxy" else [])
            if selections:
                docs.append(_rule(service, source, selections))
    header = f"# shadowscan rules export: {selection.describe()}\n"
    return header + "---\n".join(docs)


def _selections(field: str, hosts: list, paths: list) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    exact = sorted({r.pattern for r in hosts})
    suffix = sorted({"." + r.pattern for r in hosts if r.kind == "suffix"})
    if exact:
        out["selection_host"] = {field: exact}
    if suffix:
        out["selection_subdomain"] = {f"{field}|endswith": suffix}
    for i, rule in enumerate(sorted(paths, key=lambda r: (r.host, r.prefix)), 1):
        out[f"selection_path{i}"] = {field: [rule.host], "c-uri|contains": [rule.prefix]}
    return out


def _rule(service, source: str, selections: dict[str, dict[str, list[str]]]) -> str:
    q = json.dumps
    rule_id = uuid.uuid5(NAMESPACE, f"{service.id}/{source}")
    lines = [
        f"title: {q(f'{service.name} use ({source})')}",
        f"id: {rule_id}",
        "status: experimental",
        f"description: {q(f'Traffic to {service.name} by {service.vendor}, a {service.category} AI service (shadowscan id {service.id}).')}",  # noqa: E501
        "references:",
        f"  - {q(service.homepage)}",
        "author: shadowscan",
        "logsource:",
        f"  category: {source}",
        "detection:",
    ]
    for name, fields in selections.items():
        lines.append(f"  {name}:")
        for field, values in fields.items():
            lines.append(f"    {field}:")
            lines.extend(f"      - {q(v)}" for v in values)
    lines += [
        "  condition: 1 of selection_*",
        "falsepositives:",
        f"  - {q('Use the organisation has sanctioned')}",
        "level: low",
    ]
    return "\n".join(lines) + "\n"
