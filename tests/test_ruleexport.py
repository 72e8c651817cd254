"""`rules export`: every format parses back with its target's grammar and means the catalogue.

Each export is read back (our own strict reading of the target grammar, plus
the real parser where one exists: pySigma, suricata-update's rule parser,
`squid -k parse`, `named-checkzone`) and its meaning is compared with the
matcher's: the hosts a format says it covers are the hosts the catalogue
matches, on the embedded test cases and look-alikes.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from sigma.collection import SigmaCollection
from suricata.update import rule as suricata_rule

from shadowscan.match.catalogue import load_catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.match.rulefile import HOST
from shadowscan.ruleexport import exporters, select
from shadowscan.ruleexport.rpz import render as render_rpz

CATALOGUE = load_catalogue()
MATCHER = HostMatcher(CATALOGUE)
SELECTION = select(CATALOGUE)
EXPORT = {name: render(SELECTION) for name, render in exporters().items()}
REQUIRE_TOOLS = os.environ.get("SHADOWSCAN_REQUIRE_TOOLS") == "1"


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        if REQUIRE_TOOLS:
            pytest.fail(f"{name} is not installed (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return path


def _case_hosts() -> tuple[list[str], set[str]]:
    """Every bare host in the embedded cases, and the look-alikes among them."""
    texts = [c.input for s in CATALOGUE.services.values() for c in s.must_match]
    lookalikes = {t.lower() for s in CATALOGUE.services.values() for t in s.must_not_match}
    hosts = {t.lower().rstrip(".") for t in [*texts, *lookalikes]}
    return sorted(h for h in hosts if HOST.match(h)), lookalikes


def _selection_matcher() -> HostMatcher:
    """The matcher over the exported rules only: what an export should mean."""
    chosen = {(r.service_id, r.pattern, r.kind) for r in SELECTION.hosts}
    services = {
        sid: replace(
            s,
            hosts=tuple(r for r in s.hosts if (sid, r.pattern, r.kind) in chosen),
            paths=(),
            exclusions=(),
        )
        for sid, s in SELECTION.services.items()
    }
    return HostMatcher(replace(CATALOGUE, services=services))


def _covers(host: str, exact: set[str], suffixes: set[str]) -> bool:
    labels = host.split(".")
    return host in exact or any(".".join(labels[i:]) in suffixes for i in range(len(labels)))


CASE_HOSTS, LOOKALIKES = _case_hosts()
EXPECTED = set(_selection_matcher().match_hosts(pl.Series(CASE_HOSTS))["host"])
SELECTED = {(r.pattern, r.kind) for r in SELECTION.hosts}


def _means_the_catalogue(covered: set[str]) -> None:
    """An export covers exactly what its rules cover, every use match, and no look-alike."""
    assert covered == EXPECTED
    use = MATCHER.match_hosts(pl.Series(CASE_HOSTS)).filter(
        pl.col("signal").is_in(list(SELECTION.signals))
    )
    assert set(use["host"]) <= covered
    assert not covered & LOOKALIKES


# --- squid ------------------------------------------------------------------------------


def _squid_acl() -> tuple[set[str], set[str], list[str]]:
    exact, suffixes, regexes = set(), set(), []
    for line in EXPORT["squid-acl"].splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        assert fields[0] == "acl" and len(fields) in (4, 5), line  # one value per line
        if fields[2] == "dstdomain":
            assert fields[1] == "shadowscan_ai", line
            (suffixes.add(fields[3][1:]) if fields[3].startswith(".") else exact.add(fields[3]))
        else:
            assert fields[1:3] == ["shadowscan_ai_paths", "url_regex"] and fields[3] == "-i", line
            regexes.append(fields[4])
    return exact, suffixes, regexes


def test_squid_acl_means_the_catalogue() -> None:
    exact, suffixes, regexes = _squid_acl()
    assert not (exact & suffixes)
    covered = {h for h in CASE_HOSTS if _covers(h, exact, suffixes)}
    _means_the_catalogue(covered)
    for rule in SELECTION.paths:
        url = f"https://{rule.host}{rule.prefix}"
        assert any(re.search(r, url, re.I) for r in regexes), url
        assert not any(re.search(r, f"https://{rule.host}/zz-not-ai", re.I) for r in regexes)


def test_squid_acl_has_no_entry_under_another_suffix() -> None:
    exact, suffixes, _ = _squid_acl()
    for name in exact | suffixes:
        labels = name.split(".")
        assert not any(".".join(labels[i:]) in suffixes for i in range(1, len(labels))), name


def test_squid_parses_the_acl(tmp_path: Path) -> None:
    squid = _tool("squid")
    acl = tmp_path / "ai.acl"
    acl.write_text(EXPORT["squid-acl"])
    conf = tmp_path / "squid.conf"
    conf.write_text(
        f"include {acl}\nhttp_access deny shadowscan_ai\nhttp_access deny shadowscan_ai_paths\n"
        "http_access allow all\nhttp_port 3128\n"
    )
    proc = subprocess.run([squid, "-k", "parse", "-f", conf], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not re.search(r"WARNING|ERROR|FATAL", proc.stderr), proc.stderr[-2000:]


# --- hosts, RPZ, Zeek Intel --------------------------------------------------------------


def test_hosts_file_lists_every_selected_host_once() -> None:
    names = []
    for line in EXPORT["hosts"].splitlines():
        if line.startswith("#"):
            continue
        address, name = line.split()
        assert address == "0.0.0.0" and HOST.match(name), line
        names.append(name)
    assert len(names) == len(set(names))
    assert set(names) == {pattern for pattern, _ in SELECTED}


def _rpz(text: str) -> tuple[int, set[str]]:
    lines = [ln.split(";", 1)[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    assert lines[0] == "$TTL 300"
    soa = lines[1].split()
    assert soa[:4] == ["@", "IN", "SOA", "localhost."] and len(soa) == 10
    assert lines[2] == "@ IN NS localhost."
    names = set()
    for line in lines[3:]:
        name, rtype, target = line.split()
        assert (rtype, target) == ("CNAME", "."), line
        names.add(name)
    return int(soa[5]), names


def test_rpz_zone_means_the_catalogue() -> None:
    _, names = _rpz(EXPORT["rpz"])
    exact = {n for n in names if not n.startswith("*.")}
    wild = {n[2:] for n in names if n.startswith("*.")}
    assert wild <= exact  # a suffix rule covers its own name and everything under it
    assert {(p, "suffix" if p in wild else "exact") for p in exact} == SELECTED
    covered = {h for h in CASE_HOSTS if _covers(h, exact - wild, wild)}
    _means_the_catalogue(covered)


def test_rpz_serial_is_given_or_grows() -> None:
    assert _rpz(render_rpz(SELECTION, serial=42))[0] == 42
    assert _rpz(EXPORT["rpz"])[0] > 1_700_000_000


def test_named_checkzone_loads_the_rpz(tmp_path: Path) -> None:
    checkzone = _tool("named-checkzone")
    zone = tmp_path / "rpz.zone"
    zone.write_text(EXPORT["rpz"])
    proc = subprocess.run([checkzone, "rpz.local", zone], capture_output=True, text=True)
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stdout + proc.stderr


def test_zeek_intel_is_a_valid_intel_file() -> None:
    lines = EXPORT["zeek-intel"].splitlines()
    header = lines[0].split("\t")
    assert header == ["#fields", "indicator", "indicator_type", "meta.source", "meta.desc",
                      "meta.url"]  # fmt: skip
    indicators = []
    for line in lines[1:]:
        row = line.split("\t")
        assert len(row) == 5 and not row[0].startswith("#"), line
        assert row[1] == "Intel::DOMAIN" and HOST.match(row[0]) and all(row), line
        indicators.append(row[0])
    assert len(indicators) == len(set(indicators))
    assert set(indicators) == {pattern for pattern, _ in SELECTED}


# --- Suricata and Sigma -------------------------------------------------------------------


def _suricata_rules() -> list:
    lines = [ln for ln in EXPORT["suricata"].splitlines() if not ln.startswith("#")]
    rules = [suricata_rule.parse(line) for line in lines]
    assert all(r is not None for r in rules), "a line suricata-update cannot parse"
    return rules


def _suricata_matches(rule, proto: str, value: str) -> bool:
    """Evaluate one exported dns/tls rule the way Suricata does on a query or SNI."""
    if rule["proto"] != proto:
        return False
    content = rule["content"].strip('"').replace("\\", "").lower()
    buffer = ("." + value if "dotprefix" in rule else value).lower()
    if rule.get("bsize"):
        return int(rule["bsize"]) == len(value) and buffer == content
    return buffer.endswith(content)


def test_suricata_rules_parse_and_mean_the_catalogue() -> None:
    rules = _suricata_rules()
    sids = [int(r["sid"]) for r in rules]
    assert len(sids) == len(set(sids)) and all(3_000_000_000 <= s < 2**32 for s in sids)
    for proto in ("dns", "tls"):
        for_proto = [r for r in rules if r["proto"] == proto]
        assert len(for_proto) == len(SELECTION.hosts)
        covered = {h for h in CASE_HOSTS if any(_suricata_matches(r, proto, h) for r in for_proto)}
        _means_the_catalogue(covered)
    http = [r for r in rules if r["proto"] == "http"]
    assert len(http) == len(SELECTION.paths)


def test_suricata_sids_are_stable_across_exports() -> None:
    again = exporters()["suricata"](select(CATALOGUE))
    assert again == EXPORT["suricata"]


def test_sigma_rules_load_in_pysigma_and_mean_the_catalogue() -> None:
    collection = SigmaCollection.from_yaml(EXPORT["sigma"])
    assert collection.errors == []
    assert len({rule.id for rule in collection.rules}) == len(collection.rules)
    exact, suffixes = set(), set()
    for rule in collection.rules:
        assert rule.logsource.category in ("proxy", "dns")
        for name, detection in rule.detection.detections.items():
            for item in detection.detection_items:
                values = {str(v) for v in item.value}
                if name.startswith("selection_path"):
                    assert item.field in ("cs-host", "c-uri"), name
                elif not item.modifiers:
                    exact |= values
                else:
                    suffixes |= {v.lstrip("*").lstrip(".") for v in values}  # endswith adds a *
                    assert all(v.startswith("*.") for v in values), values
    covered = {h for h in CASE_HOSTS if _covers(h, exact - suffixes, suffixes)}
    _means_the_catalogue(covered)


def test_csv_round_trips_every_rule() -> None:
    rows = list(csv.DictReader(io.StringIO(EXPORT["csv"])))
    hosts = {(r["host"], r["kind"]) for r in rows if r["kind"] != "path"}
    paths = {(r["host"], r["path_prefix"]) for r in rows if r["kind"] == "path"}
    assert hosts == SELECTED
    assert paths == {(r.host, r.prefix) for r in SELECTION.paths}
    assert len(rows) == len(SELECTION.hosts) + len(SELECTION.paths)


# --- selection and hostile names -----------------------------------------------------------


def test_filters_narrow_the_export() -> None:
    coding = select(CATALOGUE, categories=("coding",))
    assert coding.services and {s.category for s in coding.services.values()} == {"coding"}
    static = select(CATALOGUE, signals=("static",))
    assert static.hosts and {r.signal for r in static.hosts} == {"static"}
    one = select(CATALOGUE, services=("chatgpt",))
    assert list(one.services) == ["chatgpt"]


_HOSTILE = """name = "Evil\\"; sid:1; rev:1;) alert ip any any -> any any (msg:\\"x\\n#fields\\tX"
vendor = "=cmd|' /C calc'!A0"
category = "chat"
homepage = "https://evil.example/\\"\\n- x"

[[hosts]]
pattern = "ai.evil.example"
match = "suffix"
signal = "ui"

[tests]
match = [{ input = "ai.evil.example", signal = "ui" }]
no_match = ["evil.example"]
"""


def test_a_hostile_local_rule_cannot_break_any_export(tmp_path: Path) -> None:
    (tmp_path / "evil.toml").write_text(_HOSTILE)
    selection = select(load_catalogue(extra=[tmp_path]), services=("evil",))
    out = {name: render(selection) for name, render in exporters().items()}
    rules = [suricata_rule.parse(line) for line in out["suricata"].splitlines()[1:]]
    assert len(rules) == 2 and all(r is not None and r["proto"] in ("dns", "tls") for r in rules)
    assert all(r["sid"] >= 3_000_000_000 for r in rules)
    sigma = SigmaCollection.from_yaml(out["sigma"])
    assert sigma.errors == [] and sigma.rules[0].title.startswith('Evil"; sid:1')
    zeek = out["zeek-intel"].splitlines()
    assert len(zeek) == 2 and len(zeek[1].split("\t")) == 5
    row = next(csv.DictReader(io.StringIO(out["csv"])))
    assert row["vendor"].startswith("'=")
