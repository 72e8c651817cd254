"""Suricata rules: `dns.query` and `tls.sni` for host rules, `http.host` + `http.uri` for paths.

`dotprefix; content:".chatgpt.com"; endswith;` matches the domain and its
subdomains on label boundaries (never `fakechatgpt.com`). Each rule's sid is
derived from what it matches, so it stays the same from one export to the next.
"""

from __future__ import annotations

import re
import zlib

from shadowscan.ruleexport import Selection

SID_BASE = 3_000_000_000  # far from the ranges public rule sets use
SID_SPAN = 100_000_000


def render(selection: Selection) -> str:
    lines = [f"# shadowscan rules export: {selection.describe()}"]
    sids: set[int] = set()
    for rule in sorted(selection.hosts, key=lambda r: (r.service_id, r.pattern)):
        service = selection.services[rule.service_id]
        if rule.kind == "suffix":
            match = f'dotprefix; content:".{_content(rule.pattern)}"; nocase; endswith;'
        else:
            match = f'content:"{_content(rule.pattern)}"; nocase; bsize:{len(rule.pattern)};'
        for proto, buffer in (("dns", "dns.query"), ("tls", "tls.sni")):
            what = f"{proto} {rule.pattern}"
            lines.append(_rule(proto, service, rule, what, f"{buffer}; {match}", sids))
    for rule in sorted(selection.paths, key=lambda r: (r.service_id, r.host, r.prefix)):
        service = selection.services[rule.service_id]
        body = rule.prefix.rstrip("/")
        tail = "/" if rule.prefix.endswith("/") else r"(?:[\/?#;]|$)"
        match = (
            f'http.host; content:"{_content(rule.host)}"; bsize:{len(rule.host)}; '
            f'http.uri; content:"{_content(rule.prefix)}"; startswith; '
            f'pcre:"/^{_pcre(body)}{tail}/";'
        )
        what = f"http {rule.host}{rule.prefix}"
        lines.append(_rule("http", service, rule, what, match, sids))
    return "\n".join(lines) + "\n"


def _rule(proto: str, service, rule, what: str, match: str, sids: set[int]) -> str:
    sid = SID_BASE + zlib.crc32(f"{service.id} {what}".encode()) % SID_SPAN
    while sid in sids:
        sid += 1
    sids.add(sid)
    msg = _msg(f"shadowscan AI {service.id} ({service.name}) {what}")
    meta = f"shadowscan_service {service.id}, shadowscan_signal {rule.signal}"
    return (
        f'alert {proto} any any -> any any (msg:"{msg}"; {match} '
        f"classtype:policy-violation; metadata:{meta}; sid:{sid}; rev:1;)"
    )


def _content(text: str) -> str:
    """Escape what a content string cannot hold literally: `"` `;` `\\` and `|`."""
    return re.sub(r'[";\\]', lambda m: "\\" + m[0], text).replace("|", "|7C|")


def _pcre(text: str) -> str:
    escaped = re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", text)
    return escaped.replace('"', r"\x22").replace(";", r"\x3b")


def _msg(text: str) -> str:
    """One line, without the characters that would end the option or the rule."""
    return re.sub(r'[";\\|()]', "", " ".join(text.split()))
