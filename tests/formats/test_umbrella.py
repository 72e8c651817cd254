"""Cisco Umbrella DNS and proxy CSV exports: inputs we write, then real exports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS, fields
from shadowscan.formats.base import ParseContext
from shadowscan.formats.fields import quoted_fields
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from tests.formats.common import (
    check_samples_with_garbage,
    clean_user,
    expected_docs,
    expected_host,
    get,
    parse,
    peer,
    peer_frame,
)

DNS, PROXY = FORMATS["umbrella-dns"], FORMATS["umbrella-proxy"]


def row(*cells: str) -> str:
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)


ALICE = "ACME\\alice (alice@acme.example)"
V5 = row(
    "2025-12-01 10:00:00",
    ALICE,
    f"{ALICE},HQ Site",
    "10.0.0.5",
    "203.0.113.5",
    "Allowed",
    "1 (A)",
    "NOERROR",
    "chatgpt.com.",
    "Generative AI",
    "AD Users",
    "AD Users,Sites",
    "",
)
OLD = row(
    "2025-12-01 10:00:01", "ACME\\bob", "ACME\\bob,HQ", "10.0.0.6", "203.0.113.5", "Blocked",
    "28 (AAAA)", "NXDOMAIN", "claude.ai.", "Generative AI",
)  # fmt: skip
WEB = row(
    "2025-12-01 10:00:00", "LAPTOP-42", "10.0.0.7", "203.0.113.5", "160.79.104.10", "text/html",
    "BLOCKED", "https://claude.ai:8443/api/x?y=1", "", "Mozilla/5.0", "403", "640", "1290", "",
    "", "Generative AI", "", "", "", "", "", "Roaming Computers", "Generative AI",
    "LAPTOP-42,Bob Example (bob@acme.example)", "Roaming Computers,AD Users", "GET",
)  # fmt: skip


# --- samples, signature, schema ----------------------------------------------------------


@pytest.mark.parametrize("fmt", [DNS, PROXY], ids=lambda f: f.name)
def test_every_sample_is_an_event_and_the_output_has_the_event_schema_dtypes(fmt):
    assert parse(fmt, list(fmt.samples)).height == len(fmt.samples)
    check_samples_with_garbage(fmt)


# --- DNS ---------------------------------------------------------------------------------


def test_dns_fields():
    r = parse(DNS, [V5]).row(0, named=True)
    assert r["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (r["event_kind"], r["client_ip"], r["user_raw"]) == ("dns", "10.0.0.5", ALICE)
    assert (r["host_raw"], r["method"], r["status"], r["action"]) == (
        "chatgpt.com.", "A", 0, "allowed",
    )  # fmt: skip
    assert r["ok"]


def test_dns_old_layout_with_spaces_after_commas():
    spaced = OLD.replace('","', '", "', 3)
    out = parse(DNS, [OLD, spaced])
    assert (
        out.select("user_raw", "host_raw", "method", "status", "action").rows()
        == [
            ("ACME\\bob", "claude.ai.", "AAAA", 3, "blocked"),
        ]
        * 2
    )
    assert out["ok"].all()


def test_dns_newer_layouts_and_unnamed_query_types():
    v10 = V5 + ',"506165","FR","8234970"'
    other = V5.replace('"1 (A)"', '"Other"')
    out = parse(DNS, [v10, other])
    assert out["method"].to_list() == ["A", None]
    assert out["ok"].all()


def test_dns_user_is_the_ad_user_among_the_identities():
    bob = "Bob Example (bob@acme.example)"
    roaming = row(
        "2025-12-01 10:00:00", "LAPTOP-42", f"LAPTOP-42,{bob}", "10.0.0.7", "", "Allowed", "1 (A)",
        "NOERROR", "claude.ai.", "", "Roaming Computers", "Roaming Computers,AD Users", "",
    )  # fmt: skip
    comma = row(
        "2025-12-01 10:00:00", "LAPTOP-9", "LAPTOP-9,Doe, Jane (jane@acme.example)", "10.0.0.8",
        "", "Allowed", "1 (A)", "NOERROR", "x.example.", "", "Roaming Computers",
        "Roaming Computers,AD Users", "",
    )  # fmt: skip
    network = row(
        "2025-12-01 10:00:00", "HQ Network", "HQ Network,Site", "10.0.0.9", "", "Allowed",
        "1 (A)", "NOERROR", "x.example.", "", "Networks", "Networks,Sites", "",
    )  # fmt: skip
    out = parse(DNS, [roaming, comma, network])
    # the comma inside `Doe, Jane` breaks the one-to-one split: the first identity is kept
    assert out["user_raw"].to_list() == [bob, "LAPTOP-9", "HQ Network"]


def test_dns_ipv6_and_external_ip_fallback():
    v6 = V5.replace('"10.0.0.5"', '"2001:db8::5"')
    no_internal = V5.replace('"10.0.0.5"', '""')
    assert parse(DNS, [v6, no_internal])["client_ip"].to_list() == ["2001:db8::5", "203.0.113.5"]


def test_dns_bad_lines_are_rejected_and_header_rows_skipped():
    header = row("Timestamp", "Most Granular Identity", "Identities", "Internal Ip", "External Ip")
    bad = [
        "garbage",
        row("2025-12-01 10:00:00", ALICE, ALICE, "10.0.0.5"),
        V5.replace("2025-12-01 10:00:00", "yesterday"),
        V5.replace('"Allowed"', '"text/html"'),
        V5.replace('"chatgpt.com."', '""'),
    ]
    out = parse(DNS, [header, V5, *bad, V5])
    assert out.select("source_line", "ok").rows() == [
        (2, True), (3, False), (4, False), (5, False), (6, False), (7, False), (8, True),
    ]  # fmt: skip


def test_dns_syslog_wrapped_and_crlf():
    lines = ["Dec  1 10:00:00 fw01 umbrella: " + V5, V5 + "\r", "  " + OLD]
    out = parse(DNS, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com.", "chatgpt.com.", "claude.ai."]
    assert out["ok"].all()


def test_a_stray_quote_does_not_merge_lines():
    stray = V5.replace('"Generative AI"', '"Generative AI')
    out = parse(DNS, [V5, stray, OLD, V5])
    assert out["source_line"].to_list() == [1, 2, 3, 4]
    # each line is then split alone: the damaged line keeps the fields before the stray quote
    assert out["host_raw"].to_list() == [
        "chatgpt.com.",
        "chatgpt.com.",
        "claude.ai.",
        "chatgpt.com.",
    ]
    fast = parse(DNS, [V5, OLD, V5]).drop("source_line")
    assert out.filter(pl.col("source_line") != 2).drop("source_line").equals(fast)


def test_the_csv_reader_reads_wide_ragged_chunks_without_the_fallback(monkeypatch):
    def fail(*args):
        raise AssertionError("fell back to splitting line by line")

    monkeypatch.setattr(fields, "_split_each", fail)
    wide = V5 + ',"x"' * 30
    out = quoted_fields(pl.Series([wide, OLD, V5]), 14)
    assert out["n"].to_list() == [14, 10, 13]
    assert out["c8"].to_list() == ["chatgpt.com.", "claude.ai.", "chatgpt.com."]


def test_quoted_fields_escapes_and_counts():
    lines = pl.Series(['"a ""b""","c,d",""', '"x"', 'bare,,"q"'])
    out = quoted_fields(lines, 4)
    assert out.rows() == [
        ('a "b"', "c,d", "", None, 3), ("x", None, None, None, 1), ("bare", None, "q", None, 3),
    ]  # fmt: skip


# --- proxy -------------------------------------------------------------------------------


def test_proxy_fields():
    r = parse(PROXY, [WEB]).row(0, named=True)
    assert (r["ts"], r["event_kind"]) == (datetime(2025, 12, 1, 10, tzinfo=UTC), "http")
    assert (r["client_ip"], r["user_raw"]) == ("10.0.0.7", "Bob Example (bob@acme.example)")
    assert (r["host_raw"], r["url_path"], r["method"]) == ("claude.ai:8443", "/api/x?y=1", "GET")
    assert (r["status"], r["action"], r["bytes_out"], r["bytes_in"]) == (403, "blocked", 640, 1290)
    assert (r["user_agent"], r["ok"]) == ("Mozilla/5.0", True)


def test_proxy_older_and_newer_layouts():
    old = ",".join(WEB.split(",")[:21])  # 21 columns: no identities, types or method
    new = WEB + ',"",""' + ',""' * 20 + ',"2204063"'
    out = parse(PROXY, [old, new])
    assert out["method"].to_list() == [None, "GET"]
    assert out["user_raw"].to_list() == ["LAPTOP-42", "Bob Example (bob@acme.example)"]
    assert out["ok"].all()


def test_proxy_blank_user_agent_and_url_without_scheme():
    odd = WEB.replace('"Mozilla/5.0"', '" "').replace("https://claude.ai:8443/api/x?y=1", "url{}")
    r = parse(PROXY, [odd]).row(0, named=True)
    assert (r["user_agent"], r["host_raw"], r["url_path"], r["ok"]) == (None, None, None, True)


def test_proxy_rejects_dns_records_and_dns_rejects_proxy_records():
    assert not parse(PROXY, [V5, OLD])["ok"].any()
    assert not parse(DNS, [WEB])["ok"].any()


# --- real exports from other projects -----------------------------------------------------

DNS_FILES = ["elastic-integrations__test-umbrella-dnslogs.log", "sekoia__umbrella-dns.log"]
PROXY_FILES = ["elastic-integrations__test-umbrella-proxylogs.log", "sekoia__umbrella-proxy.log"]
PEER_PARAMS = [(DNS, name) for name in DNS_FILES] + [(PROXY, name) for name in PROXY_FILES]


def umbrella_file(name: str) -> Path:
    """The peer Umbrella export `name`."""
    return peer(f"cisco-umbrella/{name}")


@pytest.mark.parametrize(("fmt", "name"), PEER_PARAMS, ids=[n for _, n in PEER_PARAMS])
def test_peer_file_is_detected_and_every_line_read(fmt, name):
    path = umbrella_file(name)
    assert detect(head_lines(path)).fmt is fmt
    lines = peer_frame(path)
    out = fmt.parse(lines, ParseContext())
    assert out["source_line"].to_list() == lines["source_line"].to_list()
    assert out["ok"].all()


def test_peer_ip_log_is_neither_dns_nor_proxy():
    path = umbrella_file("sekoia__umbrella-ip.log")
    assert detect(head_lines(path)).fmt is FORMATS["umbrella-ip"]
    assert not parse(DNS, peer_frame(path)["line"].to_list())["ok"].any()
    assert not parse(PROXY, peer_frame(path)["line"].to_list())["ok"].any()


#: Where the expected output differs from ours on purpose, and why.
KNOWN = {
    # Elastic takes the account from the e-mail in `Elastic User (ElasticUser@elastic.co)`; the
    # normaliser keeps the display name before the parentheses (`elastic user`).
    ("elastic-integrations__test-umbrella-dnslogs.log", 3, "user"),
    # SEKOIA swaps the internal and external client IPs of proxy logs (Cisco's documented
    # order, which Elastic follows, is internal then external).
    ("sekoia__umbrella-proxy.log", 1, "client_ip"),
}
EXPECTED = [*DNS_FILES, "sekoia__umbrella-proxy.log"]


@pytest.mark.parametrize("name", EXPECTED)
def test_peer_values_match_the_expected_output(name):
    path = umbrella_file(name)
    docs = expected_docs(path)
    fmt = PROXY if "proxy" in name else DNS
    out = fmt.parse(peer_frame(path), ParseContext()).filter("ok")
    for r in out.filter(pl.col("source_line") <= len(docs)).iter_rows(named=True):
        doc = docs[r["source_line"] - 1]
        if host := expected_host(doc):
            assert normalise_host(r["host_raw"]) == normalise_host(host)
        checks = {"client_ip": (r["client_ip"], get(doc, "source.ip")), "user": (
            clean_user(r["user_raw"]), clean_user(get(doc, "user.name")))}  # fmt: skip
        for field, (ours, theirs) in checks.items():
            if theirs is not None and (name, r["source_line"], field) not in KNOWN:
                assert ours == theirs, (r["source_line"], field)
        assert r["ts"] == datetime.fromisoformat(doc["@timestamp"])


def test_peer_known_differences_are_still_close():
    path = umbrella_file("elastic-integrations__test-umbrella-dnslogs.log")
    out = DNS.parse(peer_frame(path), ParseContext())
    assert "ElasticUser@elastic.co" in out["user_raw"][2]
    proxy = PROXY.parse(peer_frame(umbrella_file("sekoia__umbrella-proxy.log")), ParseContext())
    assert proxy["client_ip"][0] == "1.1.1.1"  # SEKOIA: source.nat.ip 1.1.1.1, source.ip 2.2.2.2
