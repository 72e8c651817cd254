"""Cisco Umbrella IP (IP-layer enforcement) log CSV: records we write, then a real export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from shadowscan.pipeline import parse_file
from tests.formats.common import (
    FIXTURES,
    assert_parsed_schema,
    check_expected,
    check_samples_with_garbage,
    expected_docs,
    parse,
    peer,
    peer_frame,
)

IP, DNS, PROXY = FORMATS["umbrella-ip"], FORMATS["umbrella-dns"], FORMATS["umbrella-proxy"]


def row(*cells: str) -> str:
    return ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)


ALICE = row(
    "2025-12-01 10:00:00", "alice@acme.example", "10.0.0.5", "51544", "160.79.104.10", "443",
    "Generative AI", "AD Users",
)  # fmt: skip
LAPTOP = row(
    "2025-12-01 10:00:02", "LAPTOP-42", "192.168.1.23", "61095", "104.18.32.47", "443",
    "Generative AI,Application", "Roaming Computers",
)  # fmt: skip
OLD = row("2020-08-26 20:32:45", "elasticuser", "192.168.1.1", "61095", "81.2.69.144", "445", "")


# --- samples, signature, schema ----------------------------------------------------------


def test_samples_are_events_and_garbage_is_rejected():
    assert parse(IP, list(IP.samples))["ok"].all()
    check_samples_with_garbage(IP)
    assert_parsed_schema(parse(IP, [ALICE, LAPTOP, OLD, "x", '"2025-12-01 10:00:00"']))


def test_signature():
    assert IP.signature([ALICE]) and IP.signature([OLD]) and IP.signature(["  " + LAPTOP])
    assert IP.signature([ALICE.replace('","', '", "')])  # blanks after commas
    # DNS (identities, then two IPs) and proxy (two IPs, then an IP) records are not IP records
    for other in (DNS, PROXY):
        assert not IP.signature(list(other.samples))


def test_dns_and_proxy_formats_reject_ip_records_and_ip_rejects_theirs():
    for other in (DNS, PROXY):
        assert not parse(other, [ALICE, LAPTOP, OLD])["ok"].any()
        assert not parse(IP, list(other.samples))["ok"].any()
    assert detect([ALICE, LAPTOP, OLD]).fmt is IP
    assert detect(list(DNS.samples)).fmt is DNS and detect(list(PROXY.samples)).fmt is PROXY


# --- fields ------------------------------------------------------------------------------


def test_fields():
    r = parse(IP, [ALICE]).row(0, named=True)
    assert (r["ts"], r["event_kind"], r["client_ip"], r["user_raw"]) == (
        datetime(2025, 12, 1, 10, tzinfo=UTC), "flow", "10.0.0.5", "alice@acme.example",
    )  # fmt: skip
    assert (r["host_raw"], r["port"], r["action"], r["ok"]) == (
        "160.79.104.10", 443, "unknown", True,  # no host name, no verdict column
    )  # fmt: skip


@pytest.mark.parametrize(
    ("types", "user"),
    [
        ("AD Users", "ACME\\alice"),
        ("AD User", "ACME\\alice"),
        ("AD Users,Roaming Computers", "ACME\\alice"),  # the first type is the identity's
        ("Roaming Computers", None),
        ("Roaming Computers,AD Users", None),
        ("Networks", None),
        ("Sites", None),
        ("", "ACME\\alice"),  # no type logged: as the DNS log's older layouts
        (None, "ACME\\alice"),  # the 7-column layout
    ],
)
def test_the_identity_is_the_user_only_when_it_is_a_person(types, user):
    cells = ["2025-12-01 10:00:00", "ACME\\alice", "10.0.0.5", "1", "104.18.32.47", "443", ""]
    line = row(*cells) if types is None else row(*cells, types)
    assert parse(IP, [line])["user_raw"].to_list() == [user]


def test_older_layout_newer_columns_header_row_and_crlf():
    header = row("Timestamp", "Identity", "Source IP", "Source Port", "Destination IP")
    newer = ALICE + ',"x","y"'
    out = parse(IP, [header, OLD, newer + "\r", '  "2025-12-01 10:00:00", ' + ALICE[22:]])
    assert out["source_line"].to_list() == [2, 3, 4]
    assert out["host_raw"].to_list() == ["81.2.69.144", "160.79.104.10", "160.79.104.10"]
    assert out["user_raw"].to_list() == ["elasticuser", "alice@acme.example", "alice@acme.example"]
    assert out["ok"].all()


def test_ipv6_and_port_zero():
    v6 = ALICE.replace('"10.0.0.5"', '"2001:db8:10::7"')
    v6 = v6.replace('"160.79.104.10"', '"2607:6bc0::10"')
    icmp = ALICE.replace('"51544"', '"0"').replace('"443"', '"0"')
    out = parse(IP, [v6, icmp])
    assert out.select("client_ip", "host_raw", "port").rows() == [
        ("2001:db8:10::7", "2607:6bc0::10", 443), ("10.0.0.5", "160.79.104.10", None),
    ]  # fmt: skip
    assert out["ok"].all()


def test_bad_lines_are_rejected():
    bad = [
        "garbage",
        row("2025-12-01 10:00:00", "alice", "10.0.0.5", "51544"),  # truncated
        ALICE.replace("2025-12-01 10:00:00", "yesterday"),
        ALICE.replace('"51544"', '"https"'),  # a port that is not a number
        ALICE.replace('"160.79.104.10"', '"chatgpt.com"'),  # a name where the address goes
        ALICE.replace('"10.0.0.5"', '""'),  # no source address
        '"2025-12-01 10:00:00"' + ',"' * 40,  # a run of stray quotes
    ]
    out = parse(IP, [ALICE, *bad, LAPTOP])
    assert out["ok"].to_list() == [True] + [False] * len(bad) + [True]


def test_empty_chunk():
    assert parse(IP, []).height == 0


def test_rejected_lines_fixture_counts():
    """Truncated, timeless, portless and non-Umbrella lines are counted; a stray quote
    costs only its own line's later fields."""
    result, _ = parse_file(FIXTURES / "umbrella-ip" / "rejected_lines.log")
    assert (result.lines, result.events, result.rejected) == (10, 6, 4)


# --- the real export from another project -------------------------------------------------


def test_peer_file_is_detected_and_matches_the_expected_output():
    """SEKOIA's one IP-log line: host (its destination IP), client and time.

    SEKOIA names the identity (`FR123`, a Roaming Computer) as the host, not a
    user; we leave the user empty too, so the event falls back to the client IP.
    """
    path = peer("cisco-umbrella/sekoia__umbrella-ip.log")
    assert detect(head_lines(path)).fmt is IP
    out = IP.parse(peer_frame(path), ParseContext())
    assert out["ok"].all() and out.height == 1
    doc = expected_docs(path)[0]
    r = out.row(0, named=True)
    assert r["ts"] == datetime.fromisoformat(doc["@timestamp"])
    assert (r["host_raw"], r["port"]) == (doc["destination"]["ip"], doc["destination"]["port"])
    assert (r["client_ip"], r["user_raw"]) == (doc["source"]["ip"], None)
    check_expected(out, path)  # host (none: SEKOIA gives no domain), client, user
