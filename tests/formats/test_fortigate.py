"""FortiGate / FortiProxy key=value logs: lines we write, then the peer projects' real logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.enrich.identity import user_expr
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import MIN_SCORE, detect, trial
from shadowscan.ingest.reader import head_lines
from shadowscan.pipeline import parse_file
from shadowscan.schema import EVENT_SCHEMA, STORE_SCHEMA

PEER = Path(__file__).parents[3] / "shared" / "peer-logs"
FG = FORMATS["fortigate"]
MINE = (
    FORMATS["w3c"],
    FORMATS["cef"],
    FORMATS["leef"],
    FORMATS["panos"],
    FG,
    FORMATS["bluecoat-kv"],
    FORMATS["skyhigh"],
    FORMATS["cisco-wsa"],
)
REGISTRY = FORMATS
WEB, DNS, FLOW = FG.samples


def frame(lines: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_line": range(1, len(lines) + 1), "line": lines},
        schema={"source_line": pl.Int64, "line": pl.String},
    )


def parse(lines: list[str], ctx: ParseContext | None = None) -> pl.DataFrame:
    return FG.parse(frame(lines), ctx or ParseContext())


def test_samples_are_a_parseable_file_head_and_detect_as_fortigate():
    out = parse(list(FG.samples))
    assert out.height == 3 and out["ok"].all()
    assert detect(list(FG.samples), formats=REGISTRY).fmt is FG


def test_output_columns_have_the_event_schema_dtypes():
    expected = {**EVENT_SCHEMA, "host_raw": pl.String, "ok": pl.Boolean}
    out = parse([*FG.samples, "garbage"])
    assert {name: expected[name] for name in out.columns} == dict(out.schema)


OTHERS = [o for o in REGISTRY.values() if o is not FG]


@pytest.mark.parametrize("other", OTHERS, ids=lambda o: o.name)
def test_no_other_format_reads_the_samples_and_fortigate_reads_no_others(other):
    ours, theirs = list(FG.samples), list(other.samples)
    assert not (other.signature(ours) and trial(other, ours)[0] >= MIN_SCORE)
    assert not (FG.signature(theirs) and trial(FG, theirs)[0] >= MIN_SCORE)


def test_webfilter_dns_and_traffic_fields():
    web, dns, flow = parse(list(FG.samples)).rows(named=True)
    assert web["ts"] == datetime(2025, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)  # eventtime in ns
    assert (web["event_kind"], web["client_ip"], web["user_raw"], web["host_raw"]) == (
        "http", "10.0.0.5", "alice", "chatgpt.com",
    )  # fmt: skip
    assert (web["port"], web["url_path"], web["action"], web["bytes_out"], web["bytes_in"]) == (
        443, "/backend-api/conversation", "allowed", 1234, 5678,
    )  # fmt: skip
    assert (dns["event_kind"], dns["host_raw"], dns["method"], dns["port"]) == (
        "dns", "claude.ai", "A", None,
    )  # fmt: skip
    assert (flow["event_kind"], flow["host_raw"], flow["action"]) == ("flow", None, "blocked")
    assert flow["ts"] == datetime(2025, 12, 1, 10, 0, 5, tzinfo=UTC)  # eventtime in seconds


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('date=2025-12-01 time=11:00:00 tz="+0100"', datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ('date=2025-12-01 time=11:00:00 tz="UTC+2"', datetime(2025, 12, 1, 9, tzinfo=UTC)),
        ("date=2025-12-01 time=11:00:00", datetime(2025, 12, 1, 10, tzinfo=UTC)),  # --timezone
        ("date=2025-03-30 time=02:30:00", None),  # did not exist in Paris
        ("time=11:00:00 timestamp=1764583200", datetime(2025, 12, 1, 10, tzinfo=UTC)),
        ("time=11:00:00", None),
    ],
)
def test_time_without_eventtime(keys, expected):
    line = f'{keys} type="traffic" subtype="forward" srcip=10.0.0.1 dstport=443'
    r = parse([line], ParseContext(timezone="Europe/Paris")).row(0, named=True)
    assert (r["ts"], r["ok"]) == (expected, expected is not None)


def test_quoting_comma_separated_lines_syslog_and_crlf():
    lines = [
        '<189>date=2025-12-01 time=11:00:00 devname="FG" logid="0317013312" type="utm" '
        'subtype="webfilter" srcip=10.0.0.5 hostname="chatgpt.com" url="/c/1?a=b c" '
        'user="ACME\\\\alice" action="passthrough" eventtime=1764583200 msg="a \\"quoted\\" msg"\r',
        'date=2025-12-01,time=11:00:01,logid="1501054802",type="dns",subtype="dns-response",'
        'srcip=10.0.0.6,qname="[gemini.google.com]",qtype="AAAA",action="pass",'
        'ipaddr="1.2.3.4, 5.6.7.8",eventtime=1764583201',
        'Dec  1 11:00:02 fg1 date=2025-12-01 time=11:00:02 devname=""FG"" type=""traffic"" '
        'subtype=""forward"" srcip=2001:db8::9 dstport=443 user=""bob"" eventtime=1764583202',
    ]
    out = parse(lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "gemini.google.com", None]
    assert out["url_path"].to_list()[0] == "/c/1?a=b c"
    assert out["user_raw"].to_list() == ["ACME\\\\alice", None, "bob"]
    assert out["client_ip"].to_list() == ["10.0.0.5", "10.0.0.6", "2001:db8::9"]
    assert out["ok"].all()


def test_other_types_are_skipped_and_bad_lines_rejected():
    event = (
        'date=2025-12-01 time=11:00:00 logid="0100032001" type="event" subtype="system" user="x"'
    )
    ips = 'date=2025-12-01 time=11:00:00 type="utm" subtype="ips" srcip=10.0.0.1 action="dropped"'
    dns_without_query = 'type="utm" subtype="dns" srcip=10.0.0.1 qtype="NS" eventtime=1764583200'
    out = parse([event, ips, "garbage", WEB, dns_without_query, 'type="traffic" subtype="local"'])
    assert out.select("source_line", "ok").rows() == [(3, False), (4, True), (5, False), (6, False)]


def test_fortiproxy_http_transaction_and_fortinet_user_cleanup():
    line = (
        'date=2025-12-01 time=12:00:00 type="traffic" subtype="http-transaction" srcip=10.6.0.1 '
        'hostname="claude.ai" url="https://claude.ai/api/x" httpmethod="POST" statuscode=201 '
        'user="john.doe,cn=john.doe" utmaction="block" agent="curl/8" eventtime=1764590400'
    )
    r = parse([line]).row(0, named=True)
    assert (r["event_kind"], r["host_raw"], r["url_path"], r["method"], r["status"]) == (
        "http", "claude.ai", "/api/x", "POST", 201,
    )  # fmt: skip
    assert (r["user_raw"], r["action"], r["user_agent"]) == ("john.doe", "blocked", "curl/8")


# --- real logs from other projects --------------------------------------------------------

#: Lines of the real logs rightly rejected, and why.
KNOWN_REJECTS = {
    "fortigate/sekoia__fortigate.log": {
        4: "a DNS query record without `qname`: no host to count",
        86: "FortiWeb `slb_http` record with `time=` only: no date, no epoch",
    },
    "other-swg/sekoia__fortiproxy.log": {},
}
CEF_LINE = r"^\s*(?:CEF:\s*)?\d+\|"


def peer(rel: str) -> Path:
    if not PEER.is_dir():
        pytest.skip(f"{PEER} is absent")
    return PEER / rel


def peer_frame(path: Path) -> pl.DataFrame:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return frame(lines).filter(pl.col("line").str.strip_chars() != "")


def dig(doc: dict, dotted: str):
    for key in dotted.split("."):
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def user(raw: str | None) -> str | None:
    return pl.select(user_expr(pl.lit(raw, pl.String))).item()


@pytest.mark.parametrize("rel", list(KNOWN_REJECTS))
def test_peer_file(rel):
    path = peer(rel)
    lines = peer_frame(path).filter(~pl.col("line").str.contains(CEF_LINE))  # CEF: cef's
    out = FG.parse(lines, ParseContext())
    rejected = set(out.filter(~pl.col("ok"))["source_line"])
    assert rejected == set(KNOWN_REJECTS[rel])
    assert out.height >= 12
    expected = json.loads(path.with_name(path.name + "-expected.json").read_text())["expected"]
    hosts = 0
    for r in out.filter("ok").iter_rows(named=True):
        doc = expected[r["source_line"] - 1]
        keys = ("dns.question.name", "url.domain", "destination.domain")
        host = next((h for k in keys if (h := dig(doc, k)) is not None), None)
        if host is not None:
            hosts += 1
            assert normalise_host(r["host_raw"]) == normalise_host(host), r["source_line"]
        if (ip := dig(doc, "source.ip")) is not None:
            assert r["client_ip"] == ip, r["source_line"]
        if (name := dig(doc, "user.name")) is not None:
            assert user(r["user_raw"]) == user(name), r["source_line"]
    assert hosts >= 5


KNOWN = [
    ("fortigate/sekoia__fortigate.log", 27, dict(
        ts=datetime(2018, 12, 27, 22, 45, 26, tzinfo=UTC), event_kind="dns", user_raw="bob",
        host_raw="example.com", method="A", action="allowed")),
    ("fortigate/sekoia__fortigate.log", 92, dict(
        event_kind="http", host_raw="example.com", url_path="/", port=443, bytes_out=421,
        bytes_in=0, action="allowed")),
    ("fortigate/sekoia__fortigate.log", 70, dict(
        ts=datetime(2025, 3, 22, 3, 15, 30, 828471, tzinfo=UTC), event_kind="flow", port=53)),
    ("other-swg/sekoia__fortiproxy.log", 11, dict(
        event_kind="http", host_raw="example.com", url_path="/some/long/path?query=param",
        user_agent="Microsoft-Delivery-Optimization/10.0", action="blocked")),
    ("other-swg/sekoia__fortiproxy.log", 25, dict(
        host_raw="example.com", user_raw="johndoe@DOMAIN", client_ip="1.2.3.4")),
]  # fmt: skip


@pytest.mark.parametrize(("rel", "line", "want"), KNOWN, ids=[f"{r}:{n}" for r, n, _ in KNOWN])
def test_peer_known_values(rel, line, want):
    out = FG.parse(peer_frame(peer(rel)), ParseContext())
    row = out.filter(pl.col("source_line") == line)
    assert {k: row[k][0] for k in want} == want


# --- our fixtures through the pipeline ----------------------------------------------------

FIXTURES = Path(__file__).parents[2] / "fixtures"
CASES = [(f, case) for f in [FG] for case in sorted((FIXTURES / f.name).glob("*.log"))]


@pytest.mark.parametrize(("fmt", "case"), CASES, ids=[f"{f.name}/{c.stem}" for f, c in CASES])
def test_fixture_parses_through_the_pipeline_and_detects_as_its_folder(fmt, case, monkeypatch):
    monkeypatch.setitem(FORMATS, fmt.name, fmt)  # as once registered
    result, events = parse_file(case, log_format=fmt.name)
    assert events.schema == STORE_SCHEMA
    assert result.events + result.rejected + result.skipped == result.lines
    assert result.events == events.height > 0
    assert detect(head_lines(case), formats=REGISTRY).fmt is fmt
