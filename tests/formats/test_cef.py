"""CEF and LEEF: lines we write, then the CEF lines of the peer projects' real logs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from tests.formats.common import (
    CEF_LINE,
    check_expected,
    check_samples_with_garbage,
    parse,
    peer,
    peer_frame,
)

CEF, LEEF = FORMATS["cef"], FORMATS["leef"]


@pytest.mark.parametrize("fmt", [CEF, LEEF], ids=lambda f: f.name)
def test_output_columns_have_the_event_schema_dtypes(fmt):
    check_samples_with_garbage(fmt)


# --- CEF ---------------------------------------------------------------------------------


def test_cef_sample_fields():
    forcepoint, palo, forti = parse(CEF, list(CEF.samples)).rows(named=True)
    assert forcepoint["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (forcepoint["user_raw"], forcepoint["host_raw"], forcepoint["method"]) == (
        "alice", "chatgpt.com", "POST",
    )  # fmt: skip
    assert (forcepoint["url_path"], forcepoint["bytes_out"], forcepoint["bytes_in"]) == (
        "/backend-api/conversation", 2311, 5120,
    )  # fmt: skip
    assert forcepoint["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert (palo["event_kind"], palo["user_raw"], palo["host_raw"], palo["action"]) == (
        "flow", "ACME\\bob", None, "allowed",
    )  # fmt: skip
    assert (forti["user_raw"], forti["host_raw"], forti["url_path"], forti["action"]) == (
        "carol", "gemini.google.com", "/app", "blocked",
    )  # fmt: skip


def test_cef_escapes_values_with_spaces_and_syslog_headers():
    lines = [
        "<134>1 2025-12-01T10:00:00Z gw cef - - - CEF:0|Acme \\| Labs|SWG|1.0|7|Allowed|3|"
        "src=10.0.0.1 dhost=claude.ai suser=Jane Doe (HR)  msg=key\\=value text act=Allow",
        "Dec  1 10:00:01 gw CEF: 0|Acme|SWG|1.0|7|Allowed|3|src=10.0.0.2 dhost=chatgpt.com\r",
        " 0|Acme|SWG|1.0|7|Allowed|3|src=10.0.0.3 dst=1.2.3.4 rt=2025-12-01T10:00:02+01:00",
    ]
    out = parse(CEF, lines, ParseContext(year=2025))
    assert out["user_raw"].to_list() == ["Jane Doe (HR)", None, None]
    assert out["host_raw"].to_list() == ["claude.ai", "chatgpt.com", None]
    assert out["ts"].to_list() == [
        datetime(2025, 12, 1, 10, tzinfo=UTC),  # no rt: the syslog header's time
        datetime(2025, 12, 1, 10, 0, 1, tzinfo=UTC),
        datetime(2025, 12, 1, 9, 0, 2, tzinfo=UTC),
    ]
    assert out["ok"].all()


@pytest.mark.parametrize(
    ("rt", "zone", "expected"),
    [
        ("rt=1764583200000", "Europe/Paris", datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ("rt=Dec 01 2025 11:00:00", "Europe/Paris", datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ("dtz=UTC rt=Dec 01 2025 11:00:00", "Europe/Paris", datetime(2025, 12, 1, 11, tzinfo=UTC)),
        ("rt=Dec 01 2025 11:00:00.250 UTC", "Europe/Paris",
         datetime(2025, 12, 1, 11, 0, 0, 250000, tzinfo=UTC)),
        ("rt=Mar 30 2025 02:30:00", "Europe/Paris", None),  # a missing hour in Paris
    ],
)  # fmt: skip
def test_cef_receipt_times(rt, zone, expected):
    line = f"CEF:0|Acme|SWG|1.0|7|Allowed|3|src=10.0.0.1 dhost=claude.ai {rt}"
    assert parse(CEF, [line], ParseContext(timezone=zone))["ts"][0] == expected


def test_cef_labelled_hosts_and_skipped_records():
    labelled = (
        "CEF:0|Acme|SWG|1.0|7|Allowed|3|rt=1764583200000 src=10.0.0.1 cs3Label=Host "
        "cs3=copilot.microsoft.com"
    )
    no_destination = "CEF:0|Acme|Auth|1.0|9|Login|3|rt=1764583200000 suser=bob"
    palo_system = "CEF:0|Palo Alto Networks|LF|2.0|SYSTEM|general|1|rt=1764583200000 src=1.2.3.4"
    forti_event = "CEF:0|Fortinet|Fortigate|v7|1|event:system login|3|cat=event:system src=1.2.3.4"
    out = parse(CEF, [labelled, no_destination, palo_system, forti_event, "not cef"])
    assert out.select("source_line", "host_raw", "ok").rows() == [
        (1, "copilot.microsoft.com", True), (5, None, False),
    ]  # fmt: skip


# --- LEEF --------------------------------------------------------------------------------


def test_leef_samples_and_delimiters():
    nss, forcepoint = parse(LEEF, list(LEEF.samples)).rows(named=True)
    assert (nss["ts"], nss["user_raw"], nss["host_raw"], nss["status"], nss["action"]) == (
        datetime(2025, 12, 1, 10, tzinfo=UTC), "alice@acme.example", "chatgpt.com", 200, "allowed",
    )  # fmt: skip
    assert (nss["bytes_out"], nss["bytes_in"], nss["method"]) == (2311, 5120, "POST")
    assert (forcepoint["user_raw"], forcepoint["host_raw"], forcepoint["action"]) == (
        "ACME\\bob", "claude.ai", "blocked",
    )  # fmt: skip
    hexed = (
        "LEEF:2.0|V|P|1|E|x7C|devTime=1764583200000|src=10.0.0.7|url=https://gemini.google.com/app"
    )
    spaced = "LEEF:1.0|V|P|1|E|src=10.0.0.8  dst=1.2.3.4  devTime=Dec 01 2025 10:00:00"
    out = parse(LEEF, [hexed, spaced, "garbage"], ParseContext(timezone="UTC"))
    assert out["client_ip"].to_list() == ["10.0.0.7", "10.0.0.8", None]
    assert out["event_kind"].to_list()[:2] == ["http", "flow"]
    assert out["ok"].to_list() == [True, True, False]


# --- real logs from other projects --------------------------------------------------------

#: Files with CEF lines, and the CEF lines rightly rejected (with the reason).
KNOWN_REJECTS = {
    "fortigate/sekoia__fortigate.log": {
        74: "FortiOS 7.2 traffic record without rt, start or eventtime: no time",
        77: "FortiOS 5.6 traffic record without rt, start or eventtime: no time",
    },
    "checkpoint/sekoia__checkpoint.log": {},
    "other-swg/sekoia__forcepoint-swg.log": {},
    "panos/sekoia__paloalto-ngfw.log": {},
    "other-swg/sekoia__paloalto-prisma-access.log": {},
}


def cef_lines(path: Path) -> pl.DataFrame:
    """The file's CEF lines, numbered as in the file."""
    return peer_frame(path).filter(pl.col("line").str.contains(CEF_LINE))


@pytest.mark.parametrize("rel", list(KNOWN_REJECTS))
def test_peer_cef_lines(rel):
    path = peer(rel)
    out = CEF.parse(cef_lines(path), ParseContext())
    assert set(out.filter(~pl.col("ok"))["source_line"]) == set(KNOWN_REJECTS[rel])
    check_expected(out, path)


def test_peer_forcepoint_and_check_point_values():
    fp = CEF.parse(cef_lines(peer("other-swg/sekoia__forcepoint-swg.log")), ParseContext())
    assert fp["user_raw"].to_list() == [None, "User 1", "jdoe", "jdoe"]  # from LDAP paths
    assert fp["action"].to_list() == ["blocked", "allowed", "allowed", "allowed"]
    assert fp.row(1, named=True)["user_agent"].startswith("Microsoft Office/16.0 (Windows NT")
    assert (fp["bytes_out"][1], fp["bytes_in"][1]) == (3967, 1038458)  # out = the request
    cp = CEF.parse(cef_lines(peer("checkpoint/sekoia__checkpoint.log")), ParseContext())
    ips = cp.filter(pl.col("source_line") == 7).row(0, named=True)
    assert (ips["host_raw"], ips["url_path"], ips["method"]) == (
        "9.10.11.12",
        "/.git/config",
        "GET",
    )
    assert cp["ts"][0] == datetime(2020, 6, 24, 15, 49, 36, tzinfo=UTC)


def test_peer_detection_of_a_cef_only_file():
    head = cef_lines(peer("other-swg/sekoia__forcepoint-swg.log"))["line"].to_list()
    assert detect(head).fmt is CEF
