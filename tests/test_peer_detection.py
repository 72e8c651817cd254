"""Detection on every real log file in ../shared/peer-logs (other projects' test data).

Each single-format file must be placed in its format. The rest are named with
why nothing takes them: files mixing several vendors' formats line by line,
timestamps masked or removed by their project, or formats we do not read yet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines

PEER = Path(__file__).resolve().parents[2] / "shared" / "peer-logs"
NOT_LOGS = ("expected.json", "parser.assert", "_structured.csv", "_templates.csv", "README")

#: folder or file (relative to peer-logs) → the format detection must pick
PLACED = {
    "bind-querylog/crowdsec-hub__bind9-logs__bind9-logs.log": "bind",
    "bind-querylog/crowdsec-hub__bind9-syslog__bind9-syslog.log": "bind",
    "checkpoint": "cef",
    "cisco-umbrella/elastic-integrations__test-umbrella-dnslogs.log": "umbrella-dns",
    "cisco-umbrella/sekoia__umbrella-dns.log": "umbrella-dns",
    "cisco-umbrella/sekoia__umbrella-ip.log": "umbrella-ip",
    "cisco-umbrella/elastic-integrations__test-umbrella-proxylogs.log": "umbrella-proxy",
    "cisco-umbrella/sekoia__umbrella-proxy.log": "umbrella-proxy",
    "dnsmasq-pihole": "dnsmasq",
    "ecs-json": "ecs-json",
    "fortigate/sekoia__fortigate.log": "cef+fortigate",  # mixed: read line by line
    "other-swg/sekoia__cisco-wsa.log": "cisco-wsa",
    "other-swg/sekoia__cloudflare-gateway": "cloudflare-gateway",
    "other-swg/sekoia__forcepoint-swg.log": "cef",
    "other-swg/sekoia__fortiproxy.log": "fortigate",
    "other-swg/sekoia__netskope-transaction.log": "netskope",
    "other-swg/sekoia__olfeo-swg.log": "olfeo",
    # mixed: its first lines' CEF records are all of skipped types, so CEF does not join
    "other-swg/sekoia__paloalto-prisma-access.log": "panos-json+panos",
    "other-swg/sekoia__skyhigh-swg.log": "skyhigh",
    "panos/crowdsec-hub__palo-alto-threat__palo-alto-threat.log": "panos",
    "proxifier": "proxifier",
    "sophos": "sophos",
    "squid": "squid",
    "suricata-eve": "suricata",
    "unbound/sekoia__unbound.log": "unbound",
    "w3c-elff/lnav__": "w3c",
    "w3c-elff/sekoia__broadcom-cloud-swg.log": "broadcom-cloud-swg",
    "w3c-elff/sekoia__broadcom-edge-swg.log": "bluecoat-kv",
    "w3c-elff/sekoia__microsoft-iis.log": "iis",
    "windows-dns-debug/DNSDebugLogHandler__dns-Locale": "windows-dns",
    "zeek-dns/rita__": "zeek",
    "zeek-dns/zat__": "zeek",
    "zeek-http/lnav__": "zeek",
    "zeek-http/rita__": "zeek",
    "zeek-http/zat__": "zeek",
    "zeek-ssl/rita__": "zeek",
    "zeek-ssl/zat__": "zeek",
    "zscaler-nss": "zscaler",
}

#: prefix → why no format may claim the file
UNPLACED = {
    "bind-querylog/sekoia__bind.log": "syslog headers and BIND times removed by the intake",
    "infoblox/sekoia__infoblox-ddi.log": "syslog headers and BIND times removed by the intake",
    "panos/sekoia__paloalto-ngfw.log": (
        "CSV, CEF and Cortex JSON mixed; its first lines' CEF records are all of skipped "
        "types, so CEF joins no mixture and panos-json+panos read only 46%"
    ),
    "w3c-elff/lnav__logfile_w3c.5": "its #Fields names 6 columns, its records hold 17",
    "windows-dns-debug/DNSDebugLogHandler__dns-format-Windows2012.txt": "empty",
    "zeek-dns/zeek__": "Zeek test baselines with masked timestamps",
    "zeek-http/zeek__": "Zeek test baselines with masked timestamps",
    "zeek-ssl/zeek__": "Zeek test baselines with masked timestamps",
}


def _files() -> list[Path]:
    if not PEER.is_dir():
        return []
    return sorted(
        p for p in PEER.rglob("*") if p.is_file() and not any(n in p.name for n in NOT_LOGS)
    )


def _expected(rel: str) -> str | None:
    if any(rel.startswith(prefix) for prefix in UNPLACED):  # the more specific entries
        return None
    for prefix, name in PLACED.items():
        if rel.startswith(prefix):
            return name
    raise AssertionError(f"{rel} is in neither table: say what detection must do with it")


@pytest.mark.skipif(not PEER.is_dir(), reason="../shared/peer-logs is not here")
@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PEER)))
def test_real_files_are_placed_in_their_format(path):
    rel = str(path.relative_to(PEER))
    want = _expected(rel)
    detection = detect(head_lines(path))
    got = detection.fmt.name if detection.fmt else None
    if want == "zeek":
        assert got in ("zeek-tsv", "zeek-json")
    else:
        assert got == want, detection.reason
