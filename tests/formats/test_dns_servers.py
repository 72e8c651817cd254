"""DNS-server formats (BIND, Infoblox, Windows DNS debug, dnsmasq/Pi-hole, Unbound):
samples and detection, inline edge cases, our fixtures, then the peer projects' real logs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines, read_chunks
from tests.formats.common import (
    FIXTURES,
    assert_parsed_schema,
    expected_docs,
    expected_host,
    get,
    parse,
    peer,
    peer_frame,
)

BIND, INFOBLOX, WINDOWS = FORMATS["bind"], FORMATS["infoblox"], FORMATS["windows-dns"]
DNSMASQ, UNBOUND = FORMATS["dnsmasq"], FORMATS["unbound"]
MINE = (INFOBLOX, BIND, WINDOWS, DNSMASQ, UNBOUND)  # the recommended registry order


def row(fmt, line: str, ctx: ParseContext | None = None) -> dict:
    out = parse(fmt, [line], ctx)
    assert out.height == 1, out
    return out.row(0, named=True)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- samples, signatures, schema, detection -------------------------------------------------


@pytest.mark.parametrize("fmt", MINE, ids=lambda f: f.name)
def test_samples_are_dns_events_with_the_event_schema_dtypes(fmt):
    out = parse(fmt, list(fmt.samples))
    assert out.height >= 2
    assert set(out["event_kind"]) == {"dns"}
    assert_parsed_schema(out)
    assert_parsed_schema(parse(fmt, []))


def test_a_file_whose_lines_are_all_skipped_is_still_detected_by_its_signature():
    head = ["Sep 21 00:00:12 dnsmasq[676]: reply clients.l.google.com is 1.2.3.4"] * 3
    assert parse(DNSMASQ, head).height == 0
    assert detect(head).fmt is DNSMASQ


# --- BIND --------------------------------------------------------------------------------

Q = "client @0x7f3a2c0a1b40 10.0.0.5#53211 (chatgpt.com): query: chatgpt.com IN A +E(0)K (10.0.0.2)"


@pytest.mark.parametrize(
    "line",
    [
        f"01-Dec-2025 10:00:00.123 {Q}",
        f"01-Dec-2025 10:00:00.123 queries: info: {Q}",
        f"01-Dec-2025 10:00:00.123 debug 3: {Q}",
        f"01-Dec-2025 10:00:00.123 {Q.replace('@0x7f3a2c0a1b40 ', '')}",
        f"01-Dec-2025 10:00:00.123 {Q.replace('): query', '): view internal: query')}",
        f"<30>Dec  1 11:59:59 ns1 named[2075]: 01-Dec-2025 10:00:00.123 {Q}",
        f"2025-12-01T10:00:00.123Z {Q}",
        f"2025-12-01T10:00:00.123Z queries: info: {Q}",
        f"2025-12-01T10:00:00.123 {Q}",  # print-time iso8601: local
        f"01-Dec-2025 10:00:00.123 {Q}\r",
    ],
)
def test_bind_query_line_variants(line):
    r = row(BIND, line)
    assert (r["ts"], r["client_ip"], r["host_raw"], r["method"]) == (
        utc(2025, 12, 1, 10, 0, 0, 123000), "10.0.0.5", "chatgpt.com", "A",
    )  # fmt: skip
    assert (r["status"], r["action"], r["ok"]) == (None, "unknown", True)


def test_bind_ipv6_clients():
    clients = [
        "client 2001:db8::5#53211 (claude.ai): query: claude.ai IN AAAA + (::1)",
        "client @0x7f ::1#62449 (a.example): query: a.example IN A - (::1)",
        "client fe80::1%eth0#5 (b.example): query: b.example IN A + (fe80::2)",
    ]
    out = parse(BIND, [f"01-Dec-2025 10:00:00.000 {c}" for c in clients])
    assert out["client_ip"].to_list() == ["2001:db8::5", "::1", "fe80::1%eth0"]
    assert out["ok"].all()


def test_bind_local_time_follows_the_timezone_across_dst():
    lines = [f"{d} {Q}" for d in ("01-Jul-2025 12:00:00.000", "26-Oct-2025 02:30:00.000")]
    out = parse(BIND, lines, ParseContext(timezone="Europe/Paris"))
    assert out["ts"].to_list() == [utc(2025, 7, 1, 10), utc(2025, 10, 26, 0, 30)]


def test_bind_syslog_header_time_when_bind_wrote_none():
    ctx = ParseContext(year=2024, timezone="Europe/Paris")
    r = row(BIND, f"Nov 13 10:59:46 keira named[2075772]: {Q}", ctx)
    assert (r["ts"], r["ok"]) == (utc(2024, 11, 13, 9, 59, 46), True)
    r = row(BIND, f"2025-12-01T11:00:00+01:00 ns1 named[7]: queries: info: {Q}")
    assert r["ts"] == utc(2025, 12, 1, 10)


def test_bind_a_query_without_any_time_is_rejected():
    r = row(BIND, f"queries: info: {Q}")
    assert (r["ts"], r["ok"]) == (None, False)
    assert (r["host_raw"], r["client_ip"]) == ("chatgpt.com", "10.0.0.5")


@pytest.mark.parametrize(
    ("rest", "host", "method", "status", "action"),
    [
        ("query (cache) 'gemini.google.com/A/IN' denied (allow-query-cache did not match)",
         "gemini.google.com", "A", None, "blocked"),
        ("query 'example.com/ANY/IN' denied", "example.com", "ANY", None, "blocked"),
        ("zone transfer 'example.com/AXFR/IN' denied", "example.com", "AXFR", None, "blocked"),
        ("rpz QNAME NXDOMAIN rewrite claude.ai/AAAA/IN via claude.ai.rpz", "claude.ai", "AAAA",
         None, "blocked"),
        ("rpz QNAME PASSTHRU rewrite id.test.fr/A/IN via id.test.fr.wl.rpz", "id.test.fr", "A",
         None, "allowed"),
        ("rpz QNAME Local-Data rewrite grok.com via grok.com.rpz", "grok.com", None, None,
         "blocked"),
        ("query failed (SERVFAIL) for chat.deepseek.com/IN/A at query.c:7841", "chat.deepseek.com",
         "A", 2, "unknown"),
        ("query failed (timed out) for x.example/IN/AAAA at query.c:7841", "x.example", "AAAA",
         None, "unknown"),
        ("answer: localhost IN A + (127.0.0.1) -> NXDOMAIN", "localhost", "A", 3, "unknown"),
    ],
)  # fmt: skip
def test_bind_record_kinds(rest, host, method, status, action):
    line = f"01-Dec-2025 10:00:00.000 client @0x7f 10.0.0.9#3076 (x): {rest}"
    r = row(BIND, line)
    assert (r["host_raw"], r["method"], r["status"], r["action"], r["ok"]) == (
        host, method, status, action, True,
    )  # fmt: skip


@pytest.mark.parametrize(
    "line",
    [
        "01-Dec-2025 10:00:00.000 general: info: zone acme.example/IN: loaded serial 42",
        "01-Dec-2025 10:00:00.000 client @0x7f ::1#61738 (example.com): bad zone transfer request: "
        "'example.com/IN': non-authoritative zone (NOTAUTH)",
        "01-Dec-2025 10:00:00.000 client @0x87 10.0.0.1#5 (x.arpa): rpz NSIP/NSDNAME rewrite "
        "x.arpa via y.arpa unrecognized NS rpz_rrset_find() failed: SERVFAIL",
        "Dec  1 10:00:00 ns1 systemd[1]: Started named.service.",
    ],
)
def test_bind_other_messages_are_skipped(line):
    assert parse(BIND, [line]).height == 0


@pytest.mark.parametrize(
    "line",
    [
        # named's own words, but with neither syslog header nor BIND stamp nothing
        # says a name server wrote them: as foreign text, they are rejected
        "timed out resolving 'example.org/A/IN': 5.6.7.8#53",
        "Unmatched! not a named line",
        '      "message": "client @0x7f 10.0.0.1#5 (a.example): query: a.example IN A +",',
    ],
)
def test_text_that_is_not_a_name_server_log_is_rejected(line):
    assert parse(BIND, [line])["ok"].to_list() == [False]


def test_bind_truncated_query_is_rejected():
    truncated = f"01-Dec-2025 10:00:00.000 {Q.split(' IN ')[0]}"
    out = parse(BIND, [truncated, f"01-Dec-2025 25:00:00.000 {Q}"])
    assert out["ok"].to_list() == [False, False]


def test_bind_reads_in_chunks_as_in_one_parse():
    lines = (FIXTURES / "bind" / "basic.log").read_text().splitlines()
    whole = parse(BIND, lines)
    parts = pl.concat([parse(BIND, lines[i : i + 3], first=i + 1) for i in range(0, len(lines), 3)])
    assert parts.equals(whole)


# --- Infoblox ----------------------------------------------------------------------------


def test_infoblox_reads_what_bind_reads_and_its_own_lines():
    lines = list(INFOBLOX.samples)
    assert parse(BIND, lines).height == 2  # the named query and response lines
    out = parse(INFOBLOX, lines)
    assert out["source_line"].to_list() == [1, 2, 3]  # dhcpd skipped
    assert out["status"].to_list() == [None, 0, None]
    assert out["action"].to_list() == ["unknown", "unknown", "blocked"]
    assert out.row(2, named=True)["client_ip"] == "10.0.0.7"
    assert out.row(2, named=True)["method"] == "A"


@pytest.mark.parametrize(
    ("line", "client", "host", "status"),
    [
        ("07-Apr-2013 20:16:49.083 client 2001::2#57398 UDP: query: a2.foo.com IN A response: "
         "NOERROR +AED a2.foo.com. 28800 IN A 1.1.1.2;", "2001::2", "a2.foo.com", 0),
        ("07-Apr-2013 20:16:49.083 client 11.22.33.44#57398: TCP: query: b.foo.com IN ANY "
         "response: SERVFAIL +", "11.22.33.44", "b.foo.com", 2),
    ],
)  # fmt: skip
def test_infoblox_response_log(line, client, host, status):
    r = row(INFOBLOX, line)
    assert (r["ts"], r["client_ip"], r["host_raw"], r["status"], r["ok"]) == (
        utc(2013, 4, 7, 20, 16, 49, 83000), client, host, status, True,
    )  # fmt: skip


def test_infoblox_cef_passthru_and_broken_cef():
    cef = (
        "2014-09-15T07:14:47-07:00 daemon info rpz: CEF:0|Infoblox|NIOS|8.2.0|RPZ-QNAME |PASSTHRU"
        '|7|app=DNS dst=10.35.41.18 src=10.32.1.145 spt=52100 view=_default qtype=AAAA msg="rpz '
        'QNAME PASSTHRU rewrite child.com [AAAA] via child.com.bit6subscribers" User-Name=john'
    )
    r = row(INFOBLOX, cef)
    assert (r["ts"], r["client_ip"], r["host_raw"], r["method"], r["action"]) == (
        utc(2014, 9, 15, 14, 14, 47), "10.32.1.145", "child.com", "AAAA", "allowed",
    )  # fmt: skip
    broken = cef.replace("rewrite child.com ", "rewrite ").replace("src=10.32.1.145 ", "")
    assert not row(INFOBLOX, broken)["ok"]


# --- Windows DNS debug log -------------------------------------------------------------------


def packet(when, direction="Rcv", ip="10.0.0.5", xid="1f3e", resp=" ", op="Q", rcode="NOERROR",
           name="(7)chatgpt(3)com(0)") -> str:  # fmt: skip
    return (
        f"{when} 0E3C PACKET  00000000034C9A00 UDP {direction} {ip:<15} {xid}  {resp} {op} "
        f"[0001   D   {rcode}] A      {name}"
    )


def test_windows_query_fields_and_the_response_rcode():
    lines = [
        "DNS Server log file creation at 6/20/2017 5:36:58 AM",
        "6/20/2017 5:36:59 AM 0DF4 EVENT   The DNS server has started.",
        packet("6/20/2017 5:36:59 AM"),
        "",
        packet("6/20/2017 5:36:59 AM", "Snd", resp="R", rcode="NXDOMAIN"),
        packet("6/20/2017 5:37:00 AM", "Snd", ip="192.5.6.30", xid="a614"),  # recursion upstream
        packet("6/20/2017 5:37:00 AM", op="U", name="(4)file(5)local(0)"),  # dynamic update
        packet("6/20/2017 5:37:01 AM", ip="::1", xid="2de6", name="(0)"),
    ]
    out = parse(WINDOWS, [line for line in lines if line])
    assert out["source_line"].to_list() == [3, 7]
    first = out.row(0, named=True)
    assert (first["ts"], first["client_ip"], first["host_raw"], first["method"]) == (
        utc(2017, 6, 20, 5, 36, 59), "10.0.0.5", "chatgpt.com", "A",
    )  # fmt: skip
    assert (first["status"], first["action"], first["ok"]) == (3, "unknown", True)
    assert out.row(1, named=True)["host_raw"] == "."  # the root: the normaliser makes it null


@pytest.mark.parametrize(
    ("stamps", "expected"),
    [
        (["6/20/2017 5:36:59 AM", "6/2/2017 12:05:00 PM", "6/2/2017 12:05:00 AM"],
         [utc(2017, 6, 20, 5, 36, 59), utc(2017, 6, 2, 12, 5), utc(2017, 6, 2, 0, 5)]),
        (["30/09/2015 12:04:28", "01/10/2015 17:00:00"],
         [utc(2015, 9, 30, 12, 4, 28), utc(2015, 10, 1, 17)]),
        (["01/10/2015 17:00:00"], [utc(2015, 10, 1, 17)]),  # undecided, 24-hour clock: D/M
        (["01/10/2015 5:00:00 PM"], [utc(2015, 1, 10, 17)]),  # undecided, AM/PM: M/D
        (["30.09.2015 12:04:28"], [utc(2015, 9, 30, 12, 4, 28)]),
        (["2015-09-30 12:04:28"], [utc(2015, 9, 30, 12, 4, 28)]),
        (["13/45/2015 12:00:00", "11/19/2015 12:00:00"], [None, utc(2015, 11, 19, 12)]),
    ],
)  # fmt: skip
def test_windows_locale_dates(stamps, expected):
    out = parse(WINDOWS, [packet(s, xid=f"{i:04x}") for i, s in enumerate(stamps)])
    assert out["ts"].to_list() == expected


def test_windows_day_first_is_remembered_for_later_chunks():
    ctx = ParseContext()
    first = parse(WINDOWS, [packet("30/09/2015 12:04:28")], ctx)
    later = parse(WINDOWS, [packet("01/10/2015 5:00:00 PM")], ctx)  # alone it would read M/D
    assert (first["ts"][0], later["ts"][0]) == (utc(2015, 9, 30, 12, 4, 28), utc(2015, 10, 1, 17))


def test_windows_local_time_and_broken_packet_lines():
    ctx = ParseContext(timezone="America/New_York")
    summer = packet("7/1/2025 8:00:00 AM")
    lines = [packet("3/9/2025 2:30:00 AM"), summer, summer[:80]]
    out = parse(WINDOWS, lines, ctx)
    assert out["ts"].to_list()[:2] == [None, utc(2025, 7, 1, 12)]  # 02:30 did not exist that night
    assert out["ok"].to_list() == [False, True, False]


# --- dnsmasq / Pi-hole -------------------------------------------------------------------------


def dm(msg: str, t: str = "Dec  1 10:00:00") -> str:
    return f"{t} dnsmasq[676]: {msg}"


def test_dnsmasq_outcome_sets_the_action():
    lines = [
        dm("query[A] chatgpt.com from 10.0.0.5"),
        dm("query[AAAA] ChatGPT.com from 10.0.0.5"),
        dm("query[A] claude.ai from fd00::7"),
        dm("gravity blocked chatgpt.com is 0.0.0.0"),
        dm("dnssec-query[DS] claude.ai to 1.1.1.1"),
        dm("forwarded claude.ai to 1.1.1.1"),
        dm("gravity blocked chatgpt.com is ::"),
        dm("query[A] nas.lan from 10.0.0.6"),
        dm("config nas.lan is 10.0.0.9"),
        dm("query[type=65] gemini.google.com from 10.0.0.6"),
    ]
    out = parse(DNSMASQ, lines, ParseContext(year=2025))
    assert out["source_line"].to_list() == [1, 2, 3, 8, 10]
    assert out["action"].to_list() == ["blocked", "blocked", "allowed", "unknown", "unknown"]
    assert out["method"].to_list() == ["A", "AAAA", "A", "A", "type=65"]
    assert out["client_ip"].to_list() == ["10.0.0.5", "10.0.0.5", "fd00::7", "10.0.0.6", "10.0.0.6"]
    assert out["ts"][0] == utc(2025, 12, 1, 10)
    assert out["ok"].all()


@pytest.mark.parametrize(
    "verdict",
    ["exactly denied", "regex blacklisted", "exactly blacklisted", "/etc/pihole/gravity.list",
     "special domain", "Apple iCloud Private Relay domain", "gravity blocked (CNAME)"],
)  # fmt: skip
def test_dnsmasq_pihole_block_words(verdict):
    lines = [dm("query[A] x.example from 10.0.0.5"), dm(f"{verdict} x.example is 0.0.0.0")]
    out = parse(DNSMASQ, lines)
    assert out["action"].to_list() == ["blocked"]


def test_dnsmasq_extra_prefix_crlf_and_rejects():
    lines = [
        dm("1843 10.0.0.5/52119 query[A] grok.com from 10.0.0.5") + "\r",
        dm("1843 10.0.0.5/52119 regex denied grok.com is 0.0.0.0") + "\r",
        dm("query[A] claude.ai"),
        dm("query[A] claude.ai from 10.0.0.5", t="Dec 45 10:00:00"),
        "query[A] claude.ai from 10.0.0.5",
    ]
    out = parse(DNSMASQ, lines)
    assert out.select("host_raw", "action", "ok").row(0) == ("grok.com", "blocked", True)
    assert out["ok"].to_list() == [True, False, False, False]


def test_dnsmasq_outcome_in_the_next_chunk_is_not_seen():
    ctx = ParseContext(year=2025)
    first = parse(DNSMASQ, [dm("query[A] chatgpt.com from 10.0.0.5")], ctx)
    assert first["action"].to_list() == ["unknown"]
    assert parse(DNSMASQ, [dm("gravity blocked chatgpt.com is ::")], ctx, first=2).height == 0


# --- Unbound -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "ts"),
    [
        ("[1764583200] unbound[1234:0] info: 10.0.0.5 chatgpt.com. A IN", utc(2025, 12, 1, 10)),
        ("Dec 01 11:00:00 unbound[1234:0] info: 10.0.0.5 chatgpt.com. A IN", utc(2025, 12, 1, 10)),
        ("Dec  1 11:00:00 resolver unbound: [1234:0] query: 10.0.0.5 chatgpt.com. A IN",
         utc(2025, 12, 1, 10)),
        ("2025-12-01T11:00:00+01:00 h unbound[1]: [1:0] info: 10.0.0.5 chatgpt.com. A IN",
         utc(2025, 12, 1, 10)),
        ("[1234:0] info: 10.0.0.5 chatgpt.com. A IN", None),
    ],
)  # fmt: skip
def test_unbound_times(line, ts):
    r = row(UNBOUND, line, ParseContext(year=2025, timezone="Europe/Paris"))
    assert (r["ts"], r["ok"]) == (ts, ts is not None)
    assert (r["client_ip"], r["host_raw"], r["method"]) == ("10.0.0.5", "chatgpt.com.", "A")


@pytest.mark.parametrize(
    ("msg", "client", "status", "action"),
    [
        ("info: ::1 claude.ai. AAAA IN NXDOMAIN 0.000000 1 89", "::1", 3, "unknown"),
        ("reply: 1.2.3.4 claude.ai. AAAA IN SERVFAIL 0.017445 0 51", "1.2.3.4", 2, "unknown"),
        ("info: claude.ai. always_nxdomain 10.0.0.7@53211 claude.ai. AAAA IN", "10.0.0.7", None,
         "blocked"),
        ("info: claude.ai. transparent 10.0.0.7@53211 claude.ai. AAAA IN", "10.0.0.7", None,
         "allowed"),
        ("info: claude.ai. redirect 10.0.0.7@53211 claude.ai. AAAA IN", "10.0.0.7", None,
         "unknown"),
        ("info: rpz: applied [ai] claude.ai. nxdomain 10.0.0.7@53211 claude.ai. AAAA IN",
         "10.0.0.7", None, "blocked"),
        ("info: RPZ applied [ai] claude.ai. passthru 10.0.0.7@53211 claude.ai. AAAA IN",
         "10.0.0.7", None, "allowed"),
    ],
)  # fmt: skip
def test_unbound_replies_and_policies(msg, client, status, action):
    r = row(UNBOUND, f"[1764583200] unbound[1234:0] {msg}")
    assert (r["client_ip"], r["host_raw"], r["status"], r["action"], r["ok"]) == (
        client, "claude.ai.", status, action, True,
    )  # fmt: skip


@pytest.mark.parametrize(
    "msg",
    [
        "info: generate keytag query _ta-4f66. NULL IN",
        "info: add chatgpt.com. A IN",  # a hex-looking word is not a client address
        "info: 10.0.0.5 - - - FORMERR - - - ",
        "error: 10.0.0.5 chatgpt.com. A IN",
        "info: average recursion processing time 0.007562 sec",
    ],
)
def test_unbound_other_messages_are_skipped(msg):
    assert parse(UNBOUND, [f"[1764583200] unbound[1234:0] {msg}"]).height == 0


# --- our fixtures --------------------------------------------------------------------------

#: scenario → (events, rejected): every line is an event, a reject or skipped.
SCENARIOS = {
    "bind/basic": (9, 0),
    "bind/syslog": (4, 0),
    "bind/ipv6": (3, 0),
    "bind/rejected_lines": (4, 3),
    "infoblox/syslog": (6, 0),
    "windows-dns/basic": (4, 0),
    "windows-dns/day_first": (2, 0),
    "windows-dns/rejected_lines": (3, 2),
    "dnsmasq/basic": (5, 0),
    "dnsmasq/pihole": (6, 0),
    "dnsmasq/crlf": (1, 0),
    "dnsmasq/rejected_lines": (3, 2),
    "unbound/basic": (7, 0),
    "unbound/syslog": (4, 0),
    "unbound/time_ascii": (3, 0),
    "unbound/opnsense_tabs": (5, 0),
    "unbound/syslog_envelopes": (7, 0),
}


def parse_path(fmt, path: Path) -> pl.DataFrame:
    ctx = ParseContext(year=2026)
    return pl.concat([fmt.parse(chunk.lines, ctx) for chunk in read_chunks(path)])


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_fixture_is_counted(scenario):
    path = FIXTURES / f"{scenario}.log"
    out = parse_path(FORMATS[path.parent.name], path)
    assert (int(out["ok"].sum()), int((~out["ok"]).sum())) == SCENARIOS[scenario]
    assert set(out.filter("ok")["host_raw"].map_elements(normalise_host, pl.String)) & {
        "chatgpt.com", "claude.ai", "gemini.google.com", "copilot.microsoft.com", "chat.mistral.ai",
        "api.anthropic.com", "api.openai.com",
    }  # fmt: skip


def test_every_fixture_folder_is_counted():
    found = {f"{p.parent.name}/{p.stem}" for f in MINE for p in (FIXTURES / f.name).glob("*.log")}
    assert found == set(SCENARIOS)


# --- real logs from other projects --------------------------------------------------------


def peer_parse(fmt, path: Path) -> pl.DataFrame:
    return fmt.parse(peer_frame(path), ParseContext(year=2025))


#: file → (format, detected format or None, event lines returned, of them ok).
#: Exceptions to "≥ 99 % ok", all for lines without any time (an event needs one):
#: SEKOIA's intakes strip the syslog header, so their BIND and Infoblox lines carry no time
#: except Infoblox's two response lines with BIND's own stamp; Unbound's line 14 and
#: CrowdSec's bind9-logs lines 8–9 were written without a time. Other lines are skipped:
#: named's zone/resolver/transfer messages, `bad zone transfer request` (no query type),
#: dhcpd, Unbound's stats and errors, Pi-hole `reply`/`gravity blocked` lines (the Pi-hole
#: sample has no query line at all), Windows headers, EVENT lines and non-query packets.
PEER_FILES = {
    "bind-querylog/crowdsec-hub__bind9-logs__bind9-logs.log": ("bind", "bind", 12, 10),
    "bind-querylog/crowdsec-hub__bind9-syslog__bind9-syslog.log": ("bind", "bind", 11, 11),
    # SEKOIA's intake stripped the syslog headers and BIND stamps: queries have no
    # time, and named's other messages no longer say who wrote them, so all are rejected.
    "bind-querylog/sekoia__bind.log": ("bind", None, 37, 0),
    "infoblox/sekoia__infoblox-ddi.log": ("infoblox", None, 30, 2),
    "unbound/sekoia__unbound.log": ("unbound", "unbound", 9, 8),
    "dnsmasq-pihole/pihole-logfile-reader__pihole.log": ("dnsmasq", "dnsmasq", 0, 0),
    "windows-dns-debug/DNSDebugLogHandler__dns-Locale_en-US-Windows2012.txt": (
        "windows-dns", "windows-dns", 129, 129,
    ),
    "windows-dns-debug/DNSDebugLogHandler__dns-Locale-de-AT-Windows2008r2.txt": (
        "windows-dns", "windows-dns", 1, 1,
    ),
    "windows-dns-debug/DNSDebugLogHandler__dns-format-Windows2012.txt": ("windows-dns", None, 0, 0),
}  # fmt: skip


@pytest.mark.parametrize("rel", list(PEER_FILES))
def test_peer_file(rel):
    path = peer(rel)
    name, detected, rows, ok = PEER_FILES[rel]
    out = peer_parse(FORMATS[name], path)
    assert (out.height, int(out["ok"].sum())) == (rows, ok)
    found = detect(head_lines(path)).fmt
    assert (found.name if found else None) == detected
    good = out.filter("ok")
    assert good.select(pl.col("ts", "client_ip", "host_raw").is_null().any()).row(0) == (False,) * 3


@pytest.mark.parametrize(
    ("rel", "name"),
    [
        ("bind-querylog/sekoia__bind.log", "bind"),
        ("infoblox/sekoia__infoblox-ddi.log", "infoblox"),
        ("unbound/sekoia__unbound.log", "unbound"),
    ],
)
def test_peer_values_match_sekoia_expected(rel, name):
    path = peer(rel)
    expected = expected_docs(path)
    out = peer_parse(FORMATS[name], path).filter(pl.col("event_kind").is_not_null())
    compared = 0
    for r in out.iter_rows(named=True):
        want = expected[r["source_line"] - 1]
        if (host := expected_host(want)) is not None:
            assert normalise_host(r["host_raw"]) == normalise_host(host), r
        if get(want, "source.ip") is not None:
            assert r["client_ip"] == get(want, "source.ip"), r
        assert get(want, "user.name") is None  # DNS servers do not name users
        ts = get(want, "@timestamp")
        if ts is not None:
            assert r["ts"] == datetime.fromisoformat(ts.replace("Z", "+00:00"))
        compared += 1
    assert compared == out.height > 0


def crowdsec_values(asserts: str, key: str) -> dict[int, str]:
    """Line number → value of one field in CrowdSec's parse-stage assertions."""
    pattern = r'\["s01-parse"\]\["[^"]+"\]\[(\d+)\]\.Evt\.' + re.escape(key) + r' == "([^"]+)"'
    return {int(i) + 1: value for i, value in re.findall(pattern, asserts)}


@pytest.mark.parametrize(
    "rel",
    [
        "bind-querylog/crowdsec-hub__bind9-logs__bind9-logs.log",
        "bind-querylog/crowdsec-hub__bind9-syslog__bind9-syslog.log",
    ],
)
def test_peer_values_match_crowdsec_assertions(rel):
    path = peer(rel)
    asserts = path.with_name(path.name + ".parser.assert").read_text()
    wanted, stamps = (
        crowdsec_values(asserts, key) for key in ('Meta["source_ip"]', 'Parsed["timestamp"]')
    )
    out = peer_parse(BIND, path)
    assert out.height >= 11
    for r in out.iter_rows(named=True):
        assert r["client_ip"] == wanted[r["source_line"]]
        assert r["host_raw"] in ("example.com", "wr_test", "sl")
        if r["source_line"] in stamps:
            stamp = datetime.strptime(stamps[r["source_line"]], "%d-%b-%Y %H:%M:%S.%f")
            assert r["ts"] == stamp.replace(tzinfo=UTC)
