"""PAN-OS / Prisma Access JSON from Strata Logging Service: records we write, then SEKOIA's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.enrich.hosts import normalise_host
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.mixed import MixedFormat
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
from tests.formats.common import (
    assert_parsed_schema,
    check_samples_with_garbage,
    clean_user,
    expected_docs,
    frame,
    get,
    parse,
    peer,
    peer_frame,
)

PJ = FORMATS["panos-json"]
URL_SAMPLE, TRAFFIC_SAMPLE, SYSTEM_SAMPLE = PJ.samples
#: The JSON-lines formats (and Netskope, a JSON-looking stream's neighbour) that must stay apart.
OTHERS = (
    "ecs-json", "zscaler", "netskope", "cloudflare-gateway", "suricata", "zeek-json",
    "broadcom-cloud-swg", "cef", "panos",
)  # fmt: skip
T0 = datetime(2025, 12, 1, 10, tzinfo=UTC)


def rec(**fields: object) -> str:
    return json.dumps(fields, separators=(",", ":"))


def url_rec(**fields: object) -> str:
    """A URL-filtering THREAT record: these fields over a ChatGPT request's."""
    base = {
        "TimeReceived": "2025-12-01T10:00:02.000000Z", "LogType": "THREAT", "Subtype": "url",
        "TimeGenerated": "2025-12-01T10:00:00.000000Z", "SourceAddress": "10.0.0.5",
        "DestinationAddress": "104.18.32.47", "SourceUser": "acme\\alice",
        "DestinationPort": 443, "Action": "alert", "URL": "chatgpt.com/backend-api/conversation",
        "HTTPMethod": "post", "UserAgent": "Mozilla/5.0",
    }  # fmt: skip
    return rec(**{**base, **fields})


def traffic_rec(**fields: object) -> str:
    """A TRAFFIC end record: these fields over a session to Claude's address."""
    base = {
        "TimeReceived": "2025-12-01T10:00:12.000000Z", "LogType": "TRAFFIC", "Subtype": "end",
        "TimeGenerated": "2025-12-01T10:00:00.000000Z", "SourceAddress": "10.0.0.9",
        "DestinationAddress": "160.79.104.10", "SourceUser": "bob@acme.example",
        "DestinationPort": 443, "Action": "allow", "BytesSent": 1804, "BytesReceived": 9342,
    }  # fmt: skip
    return rec(**{**base, **fields})


def row(line: str, ctx: ParseContext | None = None) -> dict:
    out = parse(PJ, [line], ctx)
    assert out.height == 1
    return out.row(0, named=True)


# --- samples, signature, detection both ways ---------------------------------------------


def test_samples_are_read_the_system_record_skipped_and_garbage_rejected():
    out = parse(PJ, list(PJ.samples))
    assert out.select("source_line", "ok").rows() == [(1, True), (2, True)]
    check_samples_with_garbage(PJ)
    assert_parsed_schema(out)


def test_signature():
    assert PJ.signature([URL_SAMPLE]) and PJ.signature([SYSTEM_SAMPLE])
    assert PJ.signature(["<14>1 2025-12-01T10:00:00Z fw1 panwlogs - - - " + TRAFFIC_SAMPLE])
    assert not PJ.signature(['{"LogType":"TRAFFIC"}'])  # the type alone says too little
    assert not PJ.signature(['{"TimeGenerated":"2025-12-01T10:00:00Z","src":"10.0.0.5"}'])
    assert not PJ.signature(["LogType=TRAFFIC TimeGenerated=2025-12-01T10:00:00Z"])  # EMAIL/kv


@pytest.mark.parametrize("other", OTHERS)
def test_other_formats_neither_take_nor_are_taken(other):
    fmt, mine = FORMATS[other], list(PJ.samples)
    assert not fmt.signature(mine)
    assert not PJ.signature(list(fmt.samples))
    assert not parse(PJ, list(fmt.samples))["ok"].any()
    assert detect(mine).fmt is PJ


def test_detected_before_and_apart_from_the_other_json_formats():
    names = list(FORMATS)
    assert names.index("cloudflare-gateway") < names.index("panos-json") < names.index("cef")
    ecs = FORMATS["ecs-json"].samples[0]
    assert detect([ecs] * 3).fmt is FORMATS["ecs-json"]  # ECS never read as PAN-OS JSON


# --- fields --------------------------------------------------------------------------------


def test_url_record_fields():
    r = row(URL_SAMPLE)
    assert r["ts"] == datetime(2025, 12, 1, 10, 0, 0, 412000, tzinfo=UTC)  # high resolution
    assert (r["event_kind"], r["client_ip"], r["user_raw"], r["host_raw"]) == (
        "http", "10.0.0.5", "acme\\alice", "chatgpt.com",
    )  # fmt: skip
    assert (r["url_path"], r["port"], r["method"], r["action"]) == (
        "/backend-api/conversation", 443, "POST", "allowed",
    )  # fmt: skip
    assert r["user_agent"] == "Mozilla/5.0 (Windows NT 10.0)"
    assert (r["bytes_out"], r["bytes_in"]) == (None, None)


def test_traffic_record_fields():
    r = row(TRAFFIC_SAMPLE)
    assert (r["ts"], r["event_kind"], r["client_ip"], r["user_raw"]) == (
        datetime(2025, 12, 1, 10, 0, 9, tzinfo=UTC), "flow", "10.0.0.9", "bob@acme.example",
    )  # fmt: skip
    assert (r["host_raw"], r["port"], r["action"]) == ("160.79.104.10", 443, "allowed")
    assert (r["bytes_out"], r["bytes_in"]) == (1804, 9342)  # sent is upload, received download
    assert (r["method"], r["url_path"], r["user_agent"]) == (None, None, None)


@pytest.mark.parametrize(
    ("fields", "host", "path"),
    [
        ({"URLDomain": "claude.ai", "URL": "claude.ai/api/x"}, "claude.ai", "/api/x"),
        ({"URLDomain": "claude.ai", "URL": "?"}, "claude.ai", None),  # the docs' own example
        ({"URL": "https://gemini.google.com/app?hl=fr"}, "gemini.google.com", "/app?hl=fr"),
        ({"URL": "www.sekoia.io:443/catalog?q=1"}, "www.sekoia.io:443", "/catalog?q=1"),
        ({"URL": "www.example.org"}, "www.example.org", None),
    ],
)
def test_url_host_is_the_url_domain_else_the_urls_host(fields, host, path):
    r = row(url_rec(**fields))
    assert (r["host_raw"], r["url_path"], r["ok"]) == (host, path, True)


@pytest.mark.parametrize(
    ("fields", "host"),
    [
        ({}, "160.79.104.10"),
        ({"URLDomain": "claude.ai"}, "claude.ai"),
        ({"DestinationAddress": "2607:6bc0::10"}, "2607:6bc0::10"),
    ],
)
def test_flow_host_is_a_domain_when_logged_else_the_destination_address(fields, host):
    assert row(traffic_rec(**fields))["host_raw"] == host


@pytest.mark.parametrize(
    ("fields", "ts"),
    [
        ({"TimeGeneratedHighResolution": "2025-12-01T10:00:00.25Z"}, T0 + timedelta(seconds=0.25)),
        ({}, T0),  # TimeGenerated
        ({"TimeGenerated": None}, T0 + timedelta(seconds=12)),  # TimeReceived
        ({"TimeGenerated": None, "TimeReceived": None, "LogTime": "2025-12-01T10:00:30Z"},
         T0 + timedelta(seconds=30)),
        ({"TimeGenerated": "2025-12-01T11:00:00+01:00"}, T0),
    ],
)  # fmt: skip
def test_time_preference(fields, ts):
    assert row(traffic_rec(**fields), ParseContext(timezone="Europe/Paris"))["ts"] == ts


@pytest.mark.parametrize(
    ("action", "verdict"),
    [
        ("alert", "allowed"), ("allow", "allowed"), ("continue", "allowed"),
        ("override", "allowed"), ("block-url", "blocked"), ("block-continue", "blocked"),
        ("reset-both", "blocked"), ("drop", "blocked"), ("deny", "blocked"), (None, "unknown"),
    ],
)  # fmt: skip
def test_action(action, verdict):
    assert row(url_rec(Action=action))["action"] == verdict


def test_placeholders_are_null():
    r = row(url_rec(HTTPMethod="unknown", SourceUser="", UserAgent="", DestinationPort=0))
    assert (r["method"], r["user_raw"], r["user_agent"], r["port"]) == (None, None, None, None)
    # PAN-OS puts the X-Forwarded-For address there when it maps no user.
    assert row(url_rec(SourceUser="x-fwd-for: 198.51.100.7"))["user_raw"] is None


def test_type_spellings():
    assert row(url_rec(LogType="threat", Subtype="URL"))["event_kind"] == "http"
    assert row(url_rec(Subtype=None, SubType="url"))["event_kind"] == "http"
    assert row(url_rec(LogType="URL", Subtype=None))["event_kind"] == "http"
    assert row(traffic_rec(LogType="traffic", Subtype="drop"))["event_kind"] == "flow"


# --- what is skipped, what is rejected ------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        SYSTEM_SAMPLE,
        url_rec(Subtype="file"),
        url_rec(Subtype="vulnerability"),
        url_rec(Subtype="wildfire"),
        url_rec(LogType="DECRYPTION", Subtype="start", ServerNameIndication="chatgpt.com"),
        traffic_rec(LogType="GLOBALPROTECT", Subtype="globalprotect"),
        traffic_rec(LogType="HIPMATCH", Subtype="hipmatch"),
        traffic_rec(LogType="USERID", Subtype="login"),
        traffic_rec(LogType="AUTH", Subtype="Radius"),
        traffic_rec(LogType="DNS", Subtype="realtime_dns_telemetry_response"),
        rec(LogTime="2025-12-01T10:00:00Z", LogType="CONFIG", Subtype="config"),
    ],
    ids=lambda line: "-".join(json.loads(line)[k] or "" for k in ("LogType", "Subtype")),
)
def test_other_types_are_skipped_not_rejected(line):
    assert parse(PJ, [line]).height == 0


@pytest.mark.parametrize(
    "line",
    [
        "garbage",
        "{}",
        "[]",
        "null",
        '{"LogType":',
        URL_SAMPLE[:200],  # cut short
        '{"LogType":"TRAFFIC"}',  # no time
        traffic_rec(TimeGenerated="yesterday", TimeReceived=None),
        url_rec(URL=None),  # a URL record naming no URL
        traffic_rec(SourceAddress=None),
        traffic_rec(DestinationAddress=None),
        '{"LogType":{"nested":[1,2]},"TimeGenerated":"2025-12-01T10:00:00Z"}',
        '{"LogType":"TRAFFIC","TimeGenerated":12345678901234567890123}',
        '{"event":"not an object","LogType":"TRAFFIC"}',
        '{"LogType":"TRAFFIC","TimeGenerated":"2025-12-01T10:00:00Z","SourceAddress":["a"]}',
        FORMATS["ecs-json"].samples[0],  # someone else's JSON
        "\x00\x01{\ufffd}",
    ],
)
def test_broken_and_hostile_lines_are_rejected_not_raised(line):
    out = parse(PJ, [traffic_rec(), line, url_rec()])
    assert out.select("source_line", "ok").rows() == [(1, True), (2, False), (3, True)]
    assert_parsed_schema(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from([*PJ.samples, url_rec(), traffic_rec()]),
            st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=80),
            st.dictionaries(
                st.sampled_from(["LogType", "Subtype", "TimeGenerated", "SourceAddress", "URL",
                                 "DestinationAddress", "BytesSent", "event"]),
                st.one_of(st.none(), st.integers(), st.text(max_size=20),
                          st.sampled_from(["TRAFFIC", "THREAT", "url", "2025-12-01T10:00:00Z"])),
            ).map(json.dumps),
        ).filter(lambda s: s.strip() != ""),
        min_size=1,
        max_size=12,
    )
)  # fmt: skip
def test_any_lines_give_at_most_one_row_each_and_never_raise(lines):
    out = parse(PJ, lines)
    returned = out["source_line"].to_list()
    assert len(returned) == len(set(returned)) <= len(lines)
    assert out["ok"].dtype == pl.Boolean
    assert_parsed_schema(out)


# --- envelopes, chunks ----------------------------------------------------------------------


def test_hec_envelope_syslog_header_and_crlf():
    envelope = {"time": 1764583200, "host": "logfwd20", "source": "Palo Alto Networks FLS LF"}
    lines = [
        json.dumps({**envelope, "event": json.loads(URL_SAMPLE)}),
        "<14>1 2025-12-01T10:00:09.500Z logfwd1 panwlogs - - - " + TRAFFIC_SAMPLE,
        "Dec  1 10:00:15 logfwd1 panwlogs: " + SYSTEM_SAMPLE,
        json.dumps({**envelope, "event": json.loads(traffic_rec())}) + "\r",
    ]
    out = parse(PJ, lines)
    assert out.select("source_line", "host_raw", "ok").rows() == [
        (1, "chatgpt.com", True), (2, "160.79.104.10", True), (4, "160.79.104.10", True),
    ]  # fmt: skip
    assert out["ts"][0] == T0.replace(microsecond=412000)


def test_chunks_are_independent():
    lines = [URL_SAMPLE, SYSTEM_SAMPLE, TRAFFIC_SAMPLE, "garbage", url_rec(), "{}"]
    whole = PJ.parse(frame(lines), ParseContext())
    parts = [PJ.parse(frame(lines).slice(i, 2), ParseContext()) for i in range(0, 6, 2)]
    assert pl.concat(parts).equals(whole)


def test_empty_chunk():
    assert parse(PJ, []).height == 0


# --- SEKOIA's real files: CSV, CEF and this JSON mixed line by line -----------------------

FILES = ["panos/sekoia__paloalto-ngfw.log", "other-swg/sekoia__paloalto-prisma-access.log"]
#: The JSON lines that are web use: URL-filtering THREATs and TRAFFIC.
WEB = r'"LogType": ?"(?:TRAFFIC|THREAT",.*"Subtype": ?"url)"'


def json_lines(path: Path) -> pl.DataFrame:
    return peer_frame(path).filter(pl.col("line").str.starts_with("{"))


@pytest.mark.parametrize("rel", FILES)
def test_peer_json_lines_match_the_expected_output(rel):
    path = peer(rel)
    lines = json_lines(path)
    out = PJ.parse(lines, ParseContext())
    assert out["ok"].all()  # the other types are skipped, none rejected
    web = lines.filter(pl.col("line").str.contains(WEB))["source_line"].to_list()
    assert out["source_line"].to_list() == web and len(web) >= 5
    docs = expected_docs(path)
    for r in out.iter_rows(named=True):
        doc, line = docs[r["source_line"] - 1], r["source_line"]
        record = json.loads(lines.filter(pl.col("source_line") == line)["line"].item())
        host = get(doc, "url.domain") if r["event_kind"] == "http" else get(doc, "destination.ip")
        assert normalise_host(r["host_raw"]) == normalise_host(host), line
        assert r["client_ip"] == get(doc, "source.ip"), line
        assert clean_user(r["user_raw"]) == clean_user(get(doc, "user.name")), line
        # SEKOIA keeps TimeGenerated to the second; we keep the high-resolution time,
        # which the Logging Service may write up to two seconds after it.
        expected = datetime.fromisoformat(doc["@timestamp"])
        assert r["ts"] == datetime.fromisoformat(record["TimeGeneratedHighResolution"]), line
        assert abs(r["ts"] - expected) < timedelta(seconds=2), line
        if r["event_kind"] == "flow":
            assert r["bytes_out"] == get(doc, "source.bytes"), line
            assert r["bytes_in"] == (get(doc, "destination.bytes") or 0), line


def test_peer_known_values():
    out = PJ.parse(json_lines(peer(FILES[0])), ParseContext())
    r = out.filter(pl.col("source_line") == 18).row(0, named=True)
    assert (r["host_raw"], r["url_path"], r["method"], r["port"], r["user_agent"]) == (
        "www.example.com", "/connecttest.txt", "GET", 80, "Microsoft NCSI",
    )  # fmt: skip


@pytest.mark.parametrize("rel", FILES)
def test_whole_peer_file_is_read_line_by_line_with_every_json_web_line(rel):
    path = peer(rel)
    lines = peer_frame(path)
    names = ("panos-json", "cef", "panos")
    out = MixedFormat([FORMATS[n] for n in names]).parse(lines, ParseContext())
    read = out.filter("ok")
    web = json_lines(path).filter(pl.col("line").str.contains(WEB))["source_line"].to_list()
    mine = read.filter(pl.col("source_format") == "panos-json")
    assert mine["source_line"].to_list() == web
    # Every line a format reads alone is read, by that format, with the same host.
    for name in names:
        alone = FORMATS[name].parse(lines, ParseContext()).filter("ok")
        got = read.filter(pl.col("source_format") == name)
        assert got.select("source_line", "host_raw").rows() == (
            alone.select("source_line", "host_raw").rows()
        ), name


def test_prisma_access_file_is_detected_as_a_mixture_with_this_format():
    detection = detect(head_lines(peer(FILES[1])))
    assert detection.fmt.name == "panos-json+panos"
