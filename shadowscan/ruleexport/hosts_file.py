"""A hosts file (also read by Pi-hole and AdGuard Home): `0.0.0.0 host`, one per line.

A hosts file cannot say "and its subdomains": a suffix rule exports its own
host only, and the header says so. Path rules cannot be expressed at all.
"""

from __future__ import annotations

from shadowscan.ruleexport import Selection


def render(selection: Selection) -> str:
    lines = [
        f"# shadowscan rules export: {selection.describe()}",
        "# A hosts file matches exact names only: subdomains of suffix rules are not covered,",
        "# and path rules on shared hosts (www.bing.com/chat) cannot be expressed.",
    ]
    seen = set()
    for rule in sorted(selection.hosts, key=lambda r: (r.service_id, r.pattern)):
        if rule.pattern not in seen:
            seen.add(rule.pattern)
            lines.append(f"0.0.0.0 {rule.pattern}")
    return "\n".join(lines) + "\n"
