"""PAN-OS syslog CSV: lines we write, then the PAN-OS lines of the peer projects' real logs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from tests.formats.common import (
    check_samples_with_garbage,
    clean_user,
    expected_docs,
    frame,
    get,
    parse,
    peer,
    peer_frame,
)

PAN = FORMATS["panos"]
URL, TRAFFIC, SYSTEM = PAN.samples
PAN_RECORD = r"\d+,(?:\d{4}/\d\d/\d\d|\d{1,2}/\d{1,2}/\d{2}) [\d:]+,[^,]*,[A-Z]+,"


def traffic(start: str = "2025/12/01 11:00:09", src: str = "10.0.0.9", user: str = "") -> str:
    """A PAN-OS 11 TRAFFIC record with the given generated time, source and user."""
    return (
        f"1,{start},012801001234,TRAFFIC,end,2561,{start},{src},160.79.104.10,0.0.0.0,0.0.0.0,"
        f"allow-web,{user},,claude-base,vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,"
        f"{start},88417,1,53200,443,0,0,0x1c,tcp,allow,11146,1804,9342,24,{start},17,"
        "artificial-intelligence,,7310000000000000002,0x0,10.0.0.0-10.255.255.255,United States"
    )


def test_samples_return_no_row_for_the_system_record():
    assert parse(PAN, list(PAN.samples))["source_line"].to_list() == [1, 2]


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(PAN)


def test_url_and_traffic_fields():
    url, flow = parse(PAN, [URL, TRAFFIC]).rows(named=True)
    assert url["ts"] == datetime(2025, 12, 1, 11, tzinfo=UTC)
    assert (url["event_kind"], url["client_ip"], url["user_raw"], url["host_raw"]) == (
        "http", "10.0.0.5", "acme\\alice", "chatgpt.com",
    )  # fmt: skip
    assert (url["url_path"], url["port"], url["method"], url["action"]) == (
        "/backend-api/conversation", 443, "POST", "allowed",
    )  # fmt: skip
    assert url["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert (url["bytes_out"], url["bytes_in"]) == (None, None)
    # A TRAFFIC record names no host: its destination address stands in (as panos-json).
    assert (flow["event_kind"], flow["host_raw"], flow["url_path"], flow["user_agent"]) == (
        "flow", "160.79.104.10", None, None,
    )  # fmt: skip
    assert (flow["bytes_out"], flow["bytes_in"], flow["user_raw"]) == (1804, 9342, "acme\\bob")


def test_generated_time_is_local_across_dst_and_high_res_time_wins():
    lines = [
        traffic("2025/03/30 01:59:00"),  # CET
        traffic("2025/03/30 03:01:00"),  # CEST
        traffic("2025/03/30 02:30:00"),  # did not exist
        traffic() + ",,2025-12-01T11:00:09.913+01:00,,",
    ]
    out = parse(PAN, lines, ParseContext(timezone="Europe/Paris"))
    assert out["ts"].to_list() == [
        datetime(2025, 3, 30, 0, 59, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 1, tzinfo=UTC),
        None,
        datetime(2025, 12, 1, 10, 0, 9, 913000, tzinfo=UTC),
    ]
    assert out["ok"].to_list() == [True, True, False, True]


def test_quoted_fields_ipv6_short_dates_crlf_and_syslog_variants():
    quoted = URL.replace('"chatgpt.com/backend-api/conversation"', '"claude.ai/api/x?a=1,b=""2"""')
    lines = [
        quoted,
        "2025-12-01T11:00:09+01:00 fw1 " + traffic(src="2001:db8::9") + "\r",
        "<14>Sep 16 10:00:02 PA-1 " + traffic("9/16/19 10:00"),
        traffic(user="x-fwd-for: 11.22.33.44"),
    ]
    out = parse(PAN, lines)
    assert out["host_raw"].to_list() == ["claude.ai"] + ["160.79.104.10"] * 3
    assert out["url_path"][0] == '/api/x?a=1,b="2"'
    assert out["client_ip"].to_list()[1] == "2001:db8::9"
    assert out["ts"][2] == datetime(2019, 9, 16, 10, tzinfo=UTC)
    assert out["user_raw"][3] is None  # PAN-OS puts the X-Forwarded-For there, not a user
    assert out["ok"].all()


def test_other_records_are_skipped_and_broken_lines_rejected():
    threat = traffic().replace("TRAFFIC,end", "THREAT,vulnerability")
    userid = "1,2025/12/01 11:00:00,0128,USERID,login,2305,2025/12/01 11:00:00,vsys1,10.0.0.1,bob"
    cut = URL[:300]  # the URL field but not the rest
    no_client = traffic(src="")
    out = parse(PAN, [threat, userid, "garbage", '{"LogType": "TRAFFIC"}', cut, no_client])
    assert out.select("source_line", "ok").rows() == [(3, False), (4, False), (5, True), (6, False)]


def test_a_stray_quote_falls_back_to_splitting_each_record_alone():
    stray = traffic(user='acme\\"bob')  # an opening quote inside a field, never closed
    lines = [URL, stray, TRAFFIC, URL.replace("acme\\alice", 'acme"alice')]
    out = parse(PAN, lines)
    assert out["ok"].all()
    assert out["user_raw"].to_list() == ["acme\\alice", 'acme\\"bob', "acme\\bob", 'acme"alice']
    fine = parse(PAN, [URL, TRAFFIC]).drop("source_line")
    assert out.filter(pl.col("source_line").is_in([1, 3])).drop("source_line").equals(fine)


def test_chunks_are_independent():
    lines = [URL, SYSTEM, TRAFFIC, URL, "garbage"]
    whole = PAN.parse(frame(lines), ParseContext())
    parts = [PAN.parse(frame(lines).slice(i, 2), ParseContext()) for i in range(0, 5, 2)]
    assert pl.concat(parts).equals(whole)


# --- real logs from other projects --------------------------------------------------------

FILES = [
    "panos/sekoia__paloalto-ngfw.log",
    "panos/crowdsec-hub__palo-alto-threat__palo-alto-threat.log",
    "other-swg/sekoia__paloalto-prisma-access.log",
]


def csv_lines(path: Path) -> pl.DataFrame:
    """The file's PAN-OS CSV records: its CEF and JSON lines belong to other readers."""
    return peer_frame(path).filter(pl.col("line").str.contains(PAN_RECORD))


@pytest.mark.parametrize("rel", FILES)
def test_peer_file(rel):
    path = peer(rel)
    lines = csv_lines(path)
    out = PAN.parse(lines, ParseContext())
    assert out["ok"].all()  # every TRAFFIC and URL record; the other types are skipped
    expected_file = path.with_name(path.name + "-expected.json")
    if not expected_file.exists():  # CrowdSec's file: two vulnerability THREATs, skipped
        assert lines.height == 2 and out.height == 0
        return
    expected = expected_docs(path)
    assert out.height >= 8
    for r in out.iter_rows(named=True):
        doc = expected[r["source_line"] - 1]
        host = get(doc, "url.domain")
        if host is not None:
            assert normalise_host(r["host_raw"]) == normalise_host(host), r["source_line"]
        assert r["client_ip"] == get(doc, "source.ip"), r["source_line"]
        if (name := get(doc, "user.name")) is not None:
            assert clean_user(r["user_raw"]) == clean_user(name), r["source_line"]
        assert r["ts"].isoformat().replace("+00:00", "Z") == doc["@timestamp"], r["source_line"]
        if r["event_kind"] == "flow":
            assert (r["bytes_out"], r["bytes_in"]) == (
                get(doc, "source.bytes"), get(doc, "destination.bytes"),
            )  # fmt: skip


def test_peer_known_values():
    out = PAN.parse(csv_lines(peer("panos/sekoia__paloalto-ngfw.log")), ParseContext())
    row = out.filter(pl.col("source_line") == 91).row(0, named=True)
    assert (row["host_raw"], row["url_path"], row["method"], row["port"]) == (
        "www.sekoia.io:443", "/catalog/integrations?query=this", "GET", 80,
    )  # fmt: skip
    assert row["user_agent"] == "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"
    assert out.filter(pl.col("source_line") == 98)["action"].item() == "blocked"  # reset-both


@pytest.mark.parametrize("missing", ['"-"', "-", '""', ""])
def test_a_url_record_without_a_url_names_its_destination_not_a_dash(missing):
    line = URL.replace('"chatgpt.com/backend-api/conversation"', missing)
    r = parse(PAN, [line]).row(0, named=True)
    assert (r["ok"], r["event_kind"], r["host_raw"], r["url_path"]) == (
        True, "http", "104.18.32.47", None,
    )  # fmt: skip


def test_hostless_rfc3164_header_as_pan_os_sends_it():
    bare = URL.split(" fw1 ", 1)[1]
    r = parse(PAN, [f"Oct 30 09:46:12 {bare}", f"<14>Oct 30 09:46:12 {bare}"])
    assert r["ok"].to_list() == [True, True]
    assert r["host_raw"].to_list() == ["chatgpt.com"] * 2
