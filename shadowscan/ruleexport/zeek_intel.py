"""A Zeek Intel framework file: `indicator<TAB>Intel::DOMAIN<TAB>…`.

Zeek's Intel framework matches a DOMAIN indicator against exact names seen in
DNS queries, HTTP Host headers and TLS SNI; it has no suffix match, so a
suffix rule exports its own host only.
"""

from __future__ import annotations

from shadowscan.ruleexport import Selection

FIELDS = ("indicator", "indicator_type", "meta.source", "meta.desc", "meta.url")


def render(selection: Selection) -> str:
    lines = ["#fields\t" + "\t".join(FIELDS)]
    seen = set()
    for rule in sorted(selection.hosts, key=lambda r: (r.service_id, r.pattern)):
        if rule.pattern in seen:
            continue
        seen.add(rule.pattern)
        service = selection.services[rule.service_id]
        desc = f"{rule.service_id} ({_field(service.name)}) {rule.signal} {rule.plan}"
        row = (rule.pattern, "Intel::DOMAIN", "shadowscan", desc, _field(service.homepage) or "-")
        lines.append("\t".join(row))
    return "\n".join(lines) + "\n"


def _field(text: str) -> str:
    """Tabs and newlines would break the TSV; a leading `#` would read as a header."""
    return " ".join(text.split()).lstrip("#")
