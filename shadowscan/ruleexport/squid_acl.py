"""Squid ACLs: `dstdomain` for host rules, `url_regex` for path rules.

`acl NAME dstdomain .chatgpt.com` matches the domain and every subdomain.
Squid refuses a domain listed under one already covered by a `.suffix` in the
same ACL, so covered entries are left out. Squid has no end-of-line comments
(a `#` after a value is one more value), so each rule's service goes on the
comment line above it.
"""

from __future__ import annotations

import re

from shadowscan.ruleexport import Selection

HOST_ACL = "shadowscan_ai"
PATH_ACL = "shadowscan_ai_paths"


def render(selection: Selection) -> str:
    lines = [
        f"# shadowscan rules export: {selection.describe()}",
        "# Include from squid.conf, then for example:",
        f"#   http_access deny {HOST_ACL}",
    ]
    for rule in selection.uncovered_hosts():
        domain = f".{rule.pattern}" if rule.kind == "suffix" else rule.pattern
        lines.append(f"# {rule.service_id} {rule.signal}")
        lines.append(f"acl {HOST_ACL} dstdomain {domain}")
    if selection.paths:
        lines.append("# Paths on shared hosts: seen only in plain HTTP or SSL-bumped traffic.")
        lines.append(f"#   http_access deny {PATH_ACL}")
    for rule in selection.paths:
        regex = f"^https?://{re.escape(rule.host)}(:[0-9]+)?{url_prefix_regex(rule.prefix)}"
        lines.append(f"# {rule.service_id} {rule.signal}")
        lines.append(f"acl {PATH_ACL} url_regex -i {regex}")
    return "\n".join(lines) + "\n"


def url_prefix_regex(prefix: str) -> str:
    """A POSIX regex for a path prefix on the matcher's boundaries (`/chat`, not `/chatter`).

    No `#` in it: Squid would read the rest of the line as a comment, and
    fragments never reach a proxy anyway.
    """
    body = re.escape(prefix.rstrip("/"))
    return f"{body}([/?;]|$)" if not prefix.endswith("/") else f"{body}/"
