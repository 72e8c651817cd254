"""Zscaler NSS feeds (JSON, CSV, TSV): inputs we write, then the peer projects' real feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from tests.formats.common import (
    assert_parsed_schema,
    clean_user,
    expected_docs,
    expected_host,
    get,
    parse,
    peer,
    peer_frame,
)

NSS = FORMATS["zscaler"]


def record(feed: str = "web", **event: str) -> str:
    return '{ "sourcetype" : "zscalernss-%s", "event" :%s}' % (feed, json.dumps(event))  # noqa: UP031


WEB = record(
    time="Mon Dec  1 10:00:00 2025",
    login="alice%40acme.example",
    eurl="chatgpt.com/c/1?x=%20y",
    action="Allowed",
    cip="10.0.0.5",
    reqmethod="POST",
    respcode="200",
    reqsize="1830",
    respsize="48211",
    ua="Mozilla/5.0%20(X11)",
    appname="ChatGPT",
    dept="Financial%20Dept",
)
CONNECT = record(
    time="Mon Dec  1 10:00:01 2025", login="bob@acme.example", eurl="claude.ai:443",
    action="Blocked", cip="10.0.0.6", reqmethod="CONNECT", respcode="403", reqsize="512",
    respsize="65", ua="curl/8.5.0",
)  # fmt: skip
DNS = record(
    "dns", datetime="Mon Dec  1 10:00:02 2025", user="carol@acme.example",
    dns_req="gemini.google.com", dns_reqtype="AAAA", clt_sip="10.0.0.9", reqaction="Allow",
    resaction="Block",
)  # fmt: skip
HEADER = "datetime\tuser\turl\thostname\taction\tClientIP\trequestmethod\tstatus"
TSV = "2025-12-01 10:00:00\talice@acme.example\tNone\tchatgpt.com\tAllowed\t10.0.0.5\tGET\t200"


# --- samples, signature, schema ----------------------------------------------------------


def test_every_sample_is_an_event_and_the_output_has_the_event_schema_dtypes():
    assert parse(NSS, list(NSS.samples)).height == len(NSS.samples)
    assert_parsed_schema(parse(NSS, [*NSS.samples, "garbage 1", HEADER, TSV]))


def test_signature():
    assert NSS.signature([HEADER])
    assert NSS.signature(['"Mon Jun 20 15:29:11 2022","new-gre","HTTP","ebay.com/"'])
    assert not NSS.signature(["time,foo,bar", '{"time":"x"}', "#fields\tts\tuid"])
    assert not NSS.signature(list(FORMATS["squid"].samples))


# --- JSON --------------------------------------------------------------------------------


def test_json_web_fields():
    out = parse(NSS, [WEB, CONNECT])
    web, connect = out.rows(named=True)
    assert web["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (web["event_kind"], web["client_ip"], web["user_raw"]) == (
        "http", "10.0.0.5", "alice@acme.example",
    )  # fmt: skip
    assert (web["host_raw"], web["url_path"], web["method"]) == (
        "chatgpt.com",
        "/c/1?x=%20y",
        "POST",
    )
    assert (web["status"], web["action"], web["bytes_out"], web["bytes_in"]) == (
        200, "allowed", 1830, 48211,
    )  # fmt: skip
    assert web["user_agent"] == "Mozilla/5.0 (X11)"  # decoded; the URL is not
    assert (connect["host_raw"], connect["url_path"], connect["action"]) == (
        "claude.ai:443", None, "blocked",
    )  # fmt: skip
    assert out["ok"].all()


def test_json_dns_records_and_other_feeds():
    fw = record("fw", datetime="Mon Dec  1 10:00:03 2025", csip="10.0.0.5", action="Allow")
    audit = record("audit", time="Mon Dec  1 10:00:04 2025", action="SIGN_IN", clientip="10.0.0.1")
    out = parse(NSS, [DNS, fw, audit, WEB])
    assert out["source_line"].to_list() == [1, 4]  # firewall and audit records are skipped
    dns = out.row(0, named=True)
    assert (dns["event_kind"], dns["host_raw"], dns["method"]) == (
        "dns",
        "gemini.google.com",
        "AAAA",
    )
    assert (dns["client_ip"], dns["action"], dns["status"]) == ("10.0.0.9", "blocked", None)


def test_json_none_and_na_are_nulls_and_host_falls_back():
    line = record(
        time="Mon Dec  1 10:00:00 2025", url="None", hostname="copilot.microsoft.com",
        requestmethod="NA", status="NA", ClientIP="10.0.0.5", action="Allowed",
    )  # fmt: skip
    r = parse(NSS, [line]).row(0, named=True)
    assert (r["host_raw"], r["method"], r["status"], r["url_path"]) == (
        "copilot.microsoft.com", None, None, None,
    )  # fmt: skip
    assert r["ok"]


def test_bad_lines_are_rejected():
    bad = ["not an nss record 42", '{ "sourcetype" : "zscalernss-web", "event" :{"ti',
           record(time="yesterday", eurl="chatgpt.com", action="Allowed"),
           record("dns", datetime="Mon Dec  1 10:00:00 2025", clt_sip="10.0.0.1")]  # fmt: skip
    out = parse(NSS, [WEB, *bad, CONNECT])
    assert out["ok"].to_list() == [True, False, False, False, False, True]
    # a web record without URL or host is still a web event, as for Zeek
    no_url = record(time="Mon Dec  1 10:00:00 2025", cip="10.0.0.1", action="Allowed")
    nobody = record(time="Mon Dec  1 10:00:00 2025", eurl="chatgpt.com", action="Allowed")
    assert parse(NSS, [no_url, nobody])["ok"].to_list() == [True, False]  # who made it is needed


def test_syslog_wrapped_and_crlf():
    lines = [
        "Dec  1 10:00:00 nss01 zscaler-nss: " + WEB,
        "<13>1 2025-12-01T10:00:00Z nss01 nss - - - " + DNS,
        CONNECT + "\r",
    ]
    out = parse(NSS, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "gemini.google.com", "claude.ai:443"]
    assert out["ok"].all()


# --- CSV / TSV ----------------------------------------------------------------------------

SAMPLE_CSV = (
    '"Mon Jun 20 15:29:11 2022","new-gre","HTTP","ebay.com/","Blocked","Ebay","Consumer Apps",'
    '"72","14061","0","0","Productivity Loss","Shopping and Auctions","Online Shopping","None",'
    '"None","0","None","None","new-gre","Default Department","172.17.3.49","66.211.175.229",'
    '"GET","403","curl/7.68.0","None","FwFilter","Firewall_1","Other","None","NA","NA","N/A"'
)


def test_csv_before_any_header_uses_the_sample_layout():
    older = SAMPLE_CSV.rsplit(",", 1)[0]  # feeds from before `keyprotectiontype`
    short = SAMPLE_CSV.rsplit(",", 3)[0]
    out = parse(NSS, [SAMPLE_CSV, older, short])
    r = out.row(0, named=True)
    assert (r["ts"], r["user_raw"], r["host_raw"], r["url_path"]) == (
        datetime(2022, 6, 20, 15, 29, 11, tzinfo=UTC), "new-gre", "ebay.com", "/",
    )  # fmt: skip
    assert (r["client_ip"], r["method"], r["status"], r["action"]) == (
        "172.17.3.49",
        "GET",
        403,
        "blocked",
    )
    assert (r["bytes_out"], r["bytes_in"], r["user_agent"]) == (72, 14061, "curl/7.68.0")
    assert out["ok"].to_list() == [True, True, False]


def test_tsv_header_names_the_columns_and_a_new_header_switches():
    csv_header = "time,login,eurl,action,cip"
    csv_row = '"Mon Dec  1 10:00:05 2025","dave@acme.example","claude.ai/new","Allowed","10.0.0.8"'
    out = parse(NSS, [HEADER, TSV, TSV + "\textra", csv_header, csv_row])
    assert out.select("source_line", "host_raw", "ok").rows() == [
        (2, "chatgpt.com", True), (3, "chatgpt.com", False), (5, "claude.ai", True),
    ]  # fmt: skip


def test_header_in_an_earlier_chunk():
    ctx = ParseContext()
    assert parse(NSS, [HEADER], ctx).height == 0  # headers are skipped, not returned
    out = parse(NSS, [TSV], ctx, first=2)
    assert out.select("source_line", "host_raw", "ok").row(0) == (2, "chatgpt.com", True)


def test_naive_times_are_read_in_the_timezone_across_dst():
    lines = [
        record(time="Sun Mar 30 01:30:00 2025", eurl="a.example", cip="10.0.0.1"),
        record(time="Sun Mar 30 02:30:00 2025", eurl="a.example", cip="10.0.0.1"),  # skipped hour
        record(time="Sun Oct 26 02:30:00 2025", eurl="a.example", cip="10.0.0.1"),  # repeated hour
        "2025-07-01 12:00:00\tx@acme.example\tNone\tb.example\tAllowed\t10.0.0.1\tGET\t200",
    ]
    out = parse(NSS, [*lines[:3], HEADER, lines[3]], ParseContext(timezone="Europe/Paris"))
    assert out["ts"].to_list() == [
        datetime(2025, 3, 30, 0, 30, tzinfo=UTC), None, datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
        datetime(2025, 7, 1, 10, tzinfo=UTC),
    ]  # fmt: skip
    assert out["ok"].to_list() == [True, False, True, True]


def test_a_wrong_weekday_and_epoch_time_are_tolerated():
    wrong = record(time="Thu Aug 29 09:20:35 2022", eurl="a.example", cip="10.0.0.1")
    epoch = record(epochtime="1764583200", eurl="a.example", cip="10.0.0.1")
    assert parse(NSS, [wrong, epoch])["ts"].to_list() == [
        datetime(2022, 8, 29, 9, 20, 35, tzinfo=UTC), datetime(2025, 12, 1, 10, tzinfo=UTC),
    ]  # fmt: skip


def test_ipv6_clients():
    line = record(time="Mon Dec  1 10:00:00 2025", eurl="chatgpt.com", cip="2001:db8::5")
    assert parse(NSS, [line])["client_ip"].to_list() == ["2001:db8::5"]


def test_empty_chunk():
    assert parse(NSS, []).height == 0


# --- real feeds from other projects -------------------------------------------------------

FILES = ["elastic-integrations__test-web.log", "sekoia__zscaler-zia.log"]


def nss_file(name: str) -> Path:
    """The peer Zscaler NSS feed `name`."""
    return peer(f"zscaler-nss/{name}")


@pytest.mark.parametrize("name", FILES)
def test_peer_file_is_detected_and_every_record_read(name):
    path = nss_file(name)
    assert detect(head_lines(path)).fmt is NSS
    out = NSS.parse(peer_frame(path), ParseContext())
    assert out["ok"].all()


def test_peer_sekoia_feeds_read_and_skipped():
    out = NSS.parse(peer_frame(nss_file("sekoia__zscaler-zia.log")), ParseContext())
    # 3 audit, 2 CASB, 1 firewall and 3 tunnel records are skipped
    assert out.select("source_line", "event_kind").rows() == [
        (5, "dns"), (7, "http"), (8, "http"), (9, "http"),
    ]  # fmt: skip


def test_peer_values_match_the_expected_output():
    """Host and client as SEKOIA reads them; the user against `user.email`.

    SEKOIA's `user.name` is the device owner (`deviceowner`); the logged-in user,
    which we read, is its `user.email`.
    """
    path = nss_file("sekoia__zscaler-zia.log")
    docs = expected_docs(path)
    out = NSS.parse(peer_frame(path), ParseContext())
    for r in out.iter_rows(named=True):
        doc = docs[r["source_line"] - 1]
        assert normalise_host(r["host_raw"]) == normalise_host(expected_host(doc))
        assert r["client_ip"] == get(doc, "source.ip")
        assert clean_user(r["user_raw"]) == clean_user(get(doc, "user.email"))
        assert r["ts"] == datetime.fromisoformat(doc["@timestamp"])
