"""A DNS response-policy zone (BIND, Unbound, PowerDNS, Knot): `name CNAME .` is NXDOMAIN.

Owner names are relative to the zone's own name, so `chatgpt.com` here
means `chatgpt.com.<zone>`: load it as `zone "rpz.local" { type primary; file … }`
plus `response-policy { zone "rpz.local"; };`. A suffix rule adds `*.name`.
"""

from __future__ import annotations

import time

from shadowscan.ruleexport import Selection


def render(selection: Selection, serial: int | None = None) -> str:
    serial = int(time.time()) if serial is None else serial  # grows with each export
    lines = [
        f"; shadowscan rules export: {selection.describe()}",
        "$TTL 300",
        f"@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 300",
        "@ IN NS localhost.",
    ]
    seen = set()
    for rule in sorted(selection.hosts, key=lambda r: (r.service_id, r.pattern)):
        names = [rule.pattern] + ([f"*.{rule.pattern}"] if rule.kind == "suffix" else [])
        for name in names:
            if name not in seen:
                seen.add(name)
                lines.append(f"{name} CNAME .  ; {rule.service_id} {rule.signal}")
    return "\n".join(lines) + "\n"
