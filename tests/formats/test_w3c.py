"""W3C extended logs: lines we write, then the W3C files of the peer projects."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from tests.formats.common import check_samples_with_garbage, frame, parse, peer, peer_frame

W3C = FORMATS["w3c"]
FIELDS = "#Fields: date time c-ip cs-username cs-method cs-host cs-uri-path cs-uri-query sc-status"


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(W3C)


def test_proxysg_fields():
    out = parse(W3C, list(W3C.samples))
    assert out["source_line"].to_list() == [5, 6]  # the directives give no rows
    allowed, denied = out.rows(named=True)
    assert allowed["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (allowed["client_ip"], allowed["user_raw"], allowed["host_raw"], allowed["port"]) == (
        "10.0.0.5", "alice", "chatgpt.com", 443,
    )  # fmt: skip
    assert (allowed["method"], allowed["url_path"], allowed["status"], allowed["action"]) == (
        "POST", "/backend-api/conversation", 200, "allowed",
    )  # fmt: skip
    assert (allowed["bytes_out"], allowed["bytes_in"]) == (2311, 5120)
    assert allowed["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    assert (denied["host_raw"], denied["url_path"], denied["action"]) == (
        "claude.ai", None, "blocked",
    )  # fmt: skip


def test_layout_from_an_earlier_chunk_and_a_new_fields_line_mid_file():
    ctx = ParseContext()
    assert parse(W3C, ["#Version: 1.0", FIELDS], ctx).height == 0
    first = parse(W3C, ["2025-12-01 10:00:00 10.0.0.1 - GET chatgpt.com / - 200"], ctx, first=3)
    assert first.select("source_line", "host_raw", "ok").row(0) == (3, "chatgpt.com", True)
    lines = [
        "#Fields: time c-ip cs-uri sc-status cs(User-Agent)",
        '10:00:01 10.0.0.2 https://claude.ai/new?x=1 200 "curl/8.5.0"',
        "#Date: 2025-12-02 00:00:00",
        '00:00:02 10.0.0.3 gemini.google.com:443 200 "-"',
    ]
    out = parse(W3C, lines, ctx, first=4)
    assert out.select("source_line", "ts", "host_raw", "url_path").rows() == [
        (5, None, "claude.ai", "/new?x=1"),  # no date column and no #Date yet
        (7, datetime(2025, 12, 2, 0, 0, 2, tzinfo=UTC), "gemini.google.com:443", None),
    ]
    assert out["ok"].to_list() == [False, True]


def test_quoting_blanks_dashes_ipv6_crlf_and_syslog():
    lines = [
        FIELDS + " cs(User-Agent)",
        '2025-12-01  10:00:00   2001:db8::5 "ACME\\Jane Doe" GET claude.ai /a "q=""x y""" 200'
        ' "Mozilla/5.0 (X11)"\r',
        '<13>Dec  1 10:00:01 sg1 bluecoat: 2025-12-01 10:00:01 10.0.0.6 - GET - / - 304 ""',
        "2025-12-01 10:00:02 10.0.0.7 - GET chatgpt.com / - 200",  # one column short
    ]
    out = parse(W3C, lines)
    assert out["user_raw"].to_list() == ["ACME\\Jane Doe", None, None]
    assert out["url_path"].to_list()[:2] == ['/a?q="x y"', "/"]
    assert out["client_ip"].to_list()[:2] == ["2001:db8::5", "10.0.0.6"]
    assert out["user_agent"].to_list()[:2] == ["Mozilla/5.0 (X11)", None]  # `""` is empty
    assert out["ok"].to_list() == [True, True, False]


def test_times_are_read_in_the_given_zone_or_at_the_logged_offset():
    lines = [
        FIELDS,
        "2025-03-30 01:59:00 10.0.0.1 - GET a.example / - 200",
        "2025-03-30 02:30:00 10.0.0.1 - GET a.example / - 200",  # not in Paris
        "#GMT-Offset: -0800",
        "2025-12-01 02:00:00.250 10.0.0.1 - GET a.example / - 200",
    ]
    out = parse(W3C, lines, ParseContext(timezone="Europe/Paris"))
    assert out["ts"].to_list() == [
        datetime(2025, 3, 30, 0, 59, tzinfo=UTC),
        None,
        datetime(2025, 12, 1, 10, 0, 0, 250000, tzinfo=UTC),
    ]


def test_tab_separated_tmg_with_unquoted_blanks_and_other_names():
    names = "c-ip cs-username c-agent date time r-host r-port s-operation cs-uri sc-status"
    head = "#Fields: " + names.replace(" ", "\t")
    line = "\t".join([
        "10.0.0.5", "ACME\\bob", "Mozilla/5.0 (Windows NT 10.0)", "2025-12-01", "10:00:00",
        "chatgpt.com", "443", "POST", "https://chatgpt.com/backend-api/x", "200",
    ])  # fmt: skip
    r = parse(W3C, [head, line]).row(0, named=True)
    assert (r["user_agent"], r["host_raw"], r["port"], r["method"], r["url_path"]) == (
        "Mozilla/5.0 (Windows NT 10.0)", "chatgpt.com", 443, "POST", "/backend-api/x",
    )  # fmt: skip
    assert r["ok"]


def test_data_before_any_fields_line_is_rejected():
    out = parse(W3C, ["2025-12-01 10:00:00 10.0.0.1 GET", FIELDS, "#Remark: x"])
    assert out.select("source_line", "ok").rows() == [(1, False)]


def test_chunked_parse_matches_one_parse():
    lines = list(W3C.samples) * 3
    whole = W3C.parse(frame(lines), ParseContext())
    ctx = ParseContext()
    parts = [W3C.parse(frame(lines).slice(i, 4), ctx) for i in range(0, len(lines), 4)]
    assert pl.concat(parts).equals(whole)


# --- real logs from other projects --------------------------------------------------------

#: W3C files of the peer projects and the data lines rightly rejected.
KNOWN_REJECTS = {
    "lnav__logfile_w3c.0": set(),  # directives with `// comment` tails
    "lnav__logfile_w3c.1": set(),  # Oracle Web Cache: #GMT-Offset, padded columns
    "lnav__logfile_w3c.2": set(),  # IIS FTP: no date column, #Date gives the day
    "lnav__logfile_w3c.3": set(),  # IIS Advanced Logging: `date-local`, quoted values
    "lnav__logfile_w3c.4": set(),  # Incapsula: every value quoted
    "lnav__logfile_w3c.5": {2},  # `#Fields` names 6 columns, the record has 17
    "lnav__logfile_w3c.6": set(),  # non-ASCII User-Agent
    "lnav__logfile_w3c_big.0": set(),
}


def w3c_file(name: str) -> pl.DataFrame:
    """The lines of the peer W3C file `name`."""
    return peer_frame(peer(f"w3c-elff/{name}"))


@pytest.mark.parametrize("name", list(KNOWN_REJECTS))
def test_peer_file(name):
    lines = w3c_file(name)
    if not KNOWN_REJECTS[name]:
        assert detect(lines["line"].head(50).to_list()).fmt is W3C
    out = W3C.parse(lines, ParseContext())
    data = lines.filter(~pl.col("line").str.starts_with("#"))
    assert out["source_line"].to_list() == data["source_line"].to_list()
    assert set(out.filter(~pl.col("ok"))["source_line"]) == KNOWN_REJECTS[name]
    assert out.filter("ok").select(pl.col("ts").is_null().any()).item() is False


def test_peer_known_values():
    oracle = W3C.parse(w3c_file("lnav__logfile_w3c.1"), ParseContext()).row(0, named=True)
    assert oracle["ts"] == datetime(2001, 10, 31, 8, 0, 18, tzinfo=UTC)  # 00:00:18 at -0800
    assert (oracle["client_ip"], oracle["user_raw"], oracle["url_path"]) == (
        "64.103.37.2", "DMS.user", "/admin/images/oc_bottomleft.gif",
    )  # fmt: skip
    ftp = W3C.parse(w3c_file("lnav__logfile_w3c.2"), ParseContext())
    assert ftp["ts"].dt.date().unique().sort().to_list() == [
        datetime(2000, 10, 9).date(), datetime(2000, 10, 10).date(),
    ]  # fmt: skip
    iis = W3C.parse(w3c_file("lnav__logfile_w3c.3"), ParseContext())
    assert iis["host_raw"].to_list() == [
        "xzy.example.com",
        "example.hello.com",
        "hello.example.com",
    ]
    assert iis["client_ip"].to_list() == ["70.95.0.0", None, "173.5.0.0"]


def test_peer_files_that_are_not_w3c_are_not_taken():
    # IIS's native comma-separated format and Broadcom Cloud SWG JSON are other formats.
    for name in ("sekoia__microsoft-iis.log", "sekoia__broadcom-cloud-swg.log"):
        head = w3c_file(name)["line"].head(50).to_list()
        assert not W3C.signature(head)
