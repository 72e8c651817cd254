"""Netskope web transaction events: records we write, then SEKOIA's real transaction events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.netskope import FIELDS, MIN_FIELDS, record
from shadowscan.ingest.detect import detect
from shadowscan.ingest.reader import head_lines
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

NS = FORMATS["netskope"]
WIDTH = FIELDS.index("x-sc-notification-name") + 1
BASE = {
    "date": "2025-12-01", "time": "10:00:00", "c_ip": "198.51.100.7", "x_cs_userip": "10.0.0.5",
    "cs_username": "alice@acme.example", "cs_host": "chatgpt.com", "x_type": "http_transaction",
}  # fmt: skip


def rec(**values: object) -> str:
    """A headerless 146-field record: BASE overridden by `values`."""
    return record(**{**BASE, **values})


def header(names: tuple[str, ...]) -> str:
    return "#Fields: " + " ".join(names)


def row(lines: list[str], ctx: ParseContext | None = None) -> dict:
    out = parse(NS, lines, ctx)
    assert out.height == 1
    return out.row(0, named=True)


# --- samples, signature, schema ----------------------------------------------------------


def test_samples_are_events_with_the_event_schema_and_garbage_is_rejected():
    assert parse(NS, list(NS.samples))["ok"].all()
    check_samples_with_garbage(NS)


def test_signature():
    assert NS.signature(list(NS.samples))
    assert NS.signature([header(FIELDS[:WIDTH])])
    assert NS.signature([",".join(FIELDS[:MIN_FIELDS])])  # the bare header of CSV exports
    assert not NS.signature(list(FORMATS["w3c"].samples))  # a ProxySG #Fields header
    assert not NS.signature(["#Fields: date time c-ip", rec()])  # the header decides
    iis = "2025-12-01 10:00:00 10.0.0.2 GET /index.html - 443 - 10.0.0.5 Mozilla/5.0 - 200 0 0 12"
    assert not NS.signature([iis])  # a W3C record without its header is too short
    assert not NS.signature(list(FORMATS["squid"].samples))


# --- the fields --------------------------------------------------------------------------


def test_fields_of_a_web_transaction():
    r = row(
        [
            rec(
                time_taken=412, cs_bytes=1830, sc_bytes=48211, bytes=50041,
                cs_method="POST", cs_uri_scheme="https", cs_uri="/backend-api/conversation",
                cs_uri_port=443, sc_status=200, x_policy_action="allow",
                cs_user_agent='Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0',
            )
        ]
    )  # fmt: skip
    assert r["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert (r["event_kind"], r["client_ip"], r["user_raw"], r["host_raw"]) == (
        "http", "10.0.0.5", "alice@acme.example", "chatgpt.com",
    )  # fmt: skip
    assert (r["port"], r["method"], r["url_path"], r["status"], r["action"]) == (
        443, "POST", "/backend-api/conversation", 200, "allowed",
    )  # fmt: skip
    assert (r["bytes_out"], r["bytes_in"]) == (1830, 48211)  # cs-bytes out, sc-bytes in
    assert r["user_agent"] == "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0"
    assert r["ok"]
    assert_parsed_schema(parse(NS, [rec()]))


def test_client_is_the_user_ip_else_c_ip():
    assert row([rec(x_cs_userip="-")])["client_ip"] == "198.51.100.7"
    assert row([rec(x_cs_userip="2001:db8::5")])["client_ip"] == "2001:db8::5"


@pytest.mark.parametrize(
    ("values", "host"),
    [
        ({"cs_host": "-", "x_cs_sni": "claude.ai", "cs_dns": "x.example"}, "claude.ai"),
        ({"cs_host": "-", "cs_dns": "gemini.google.com"}, "gemini.google.com"),
        (
            {"cs_host": "-", "x_cs_url": "https://copilot.microsoft.com/c/1"},
            "copilot.microsoft.com",
        ),
        ({"cs_host": "-"}, None),
    ],
)
def test_host_falls_back_to_sni_dns_and_url(values, host):
    assert row([rec(**values)])["host_raw"] == host


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"cs_uri": "/app", "cs_uri_query": "hl=fr"}, "/app?hl=fr"),
        ({"cs_uri": "/app", "cs_uri_query": "?hl=fr"}, "/app?hl=fr"),
        ({"cs_uri": "/app?hl=fr", "cs_uri_query": "hl=fr"}, "/app?hl=fr"),  # not twice
        ({"x_cs_uri_path": "/v1/chat"}, "/v1/chat"),
        ({"x_cs_url": "https://chatgpt.com/c/1?x=1"}, "/c/1?x=1"),
        ({"cs_method": "CONNECT", "cs_uri": "/"}, None),
    ],
)
def test_url_path(values, path):
    assert row([rec(**values)])["url_path"] == path


@pytest.mark.parametrize(
    ("values", "action"),
    [
        ({"x_policy_action": "allow"}, "allowed"),
        ({"x_policy_action": "allow_default"}, "allowed"),
        ({"x_policy_action": "useralert"}, "allowed"),  # the user was coached, then went on
        ({"x_policy_action": "block"}, "blocked"),
        ({"x_policy_action": "NotChecked"}, "unknown"),
        ({"x_policy_action": "-"}, "unknown"),
    ],
)
def test_action_from_the_policy_action(values, action):
    assert row([rec(**values)])["action"] == action


def test_x_action_of_newer_formats_and_its_position():
    names = FIELDS[: FIELDS.index("x-action") + 1]
    line = " ".join("block" if n == "x-action" else "-" for n in names)
    line = line.replace("- -", "2025-12-01 10:00:00", 1)
    r = row([line])
    assert (r["ts"], r["action"], r["ok"]) == (
        datetime(2025, 12, 1, 10, tzinfo=UTC),
        "blocked",
        True,
    )


def test_placeholders_and_quotes():
    r = row(
        [
            rec(cs_username="NotAvailable", cs_method="N/A", sc_status="-").replace(
                " chatgpt.com ", ' "chatgpt.com" ', 1
            )
        ]
    )
    assert (r["user_raw"], r["method"], r["status"], r["host_raw"]) == (
        None, None, None, "chatgpt.com",
    )  # fmt: skip
    ua = rec(cs_user_agent="x").replace(" x ", ' "a ""b"" \\"c\\" d" ', 1)
    assert row([ua])["user_agent"] == 'a "b" "c" d'


def test_user_is_as_logged_even_when_netskope_writes_the_ip():
    assert row([rec(cs_username="10.0.0.5")])["user_raw"] == "10.0.0.5"
    assert row([rec(cs_username="ACME\\alice")])["user_raw"] == "ACME\\alice"


def test_times_are_gmt_whatever_the_timezone_and_epoch_stands_in():
    ctx = ParseContext(timezone="Europe/Paris")
    assert row([rec()], ctx)["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    epoch = rec(date="-", time="-", x_cs_timestamp=1764583200)
    assert row([epoch])["ts"] == datetime(2025, 12, 1, 10, tzinfo=UTC)
    assert not row([rec(date="2025-13-45", x_cs_timestamp="-")])["ok"]


def test_field_counts():
    short = " ".join(rec().split(" ")[: MIN_FIELDS - 1])
    format1 = " ".join(rec().split(" ")[:MIN_FIELDS])
    longer = rec() + " - - x-future-field"  # later versions append fields
    out = parse(NS, [short, format1, longer])
    assert out["ok"].to_list() == [False, True, True]
    # a record cut after its 59th field still holds every field read, so it is read
    cut = " ".join(rec().split(" ")[: MIN_FIELDS + 3]) + ' "Microsoft Azure TLS Iss'
    assert row([cut])["ok"]


def test_bad_lines_are_rejected_not_raised():
    cut = " ".join(rec().split(" ")[:30])
    lines = [rec(), "garbage", "", '2025-12-01 10:00:00 "unbalanced', cut, rec()]
    out = parse(NS, [line for line in lines if line])
    assert out["ok"].to_list() == [True, False, False, False, True]


# --- headers, CSV, syslog ----------------------------------------------------------------


def test_fields_header_names_the_columns_and_may_change():
    custom = ("time", "date", "cs-host", "x-cs-userip", "cs-username", "x-policy-action")
    lines = [
        "#Version: 1.0",
        header(custom),
        "10:00:00 2025-12-01 claude.ai 10.0.0.9 bob@acme.example block",
        "10:00:00 2025-12-01 claude.ai 10.0.0.9 bob@acme.example block extra",
        header(FIELDS[:MIN_FIELDS]),
        " ".join(rec().split(" ")[:MIN_FIELDS]),
        rec(),  # 146 fields under a 59-field header
    ]
    out = parse(NS, lines)
    assert out.select("source_line", "host_raw", "client_ip", "action", "ok").rows() == [
        (3, "claude.ai", "10.0.0.9", "blocked", True),
        (4, "claude.ai", "10.0.0.9", "blocked", False),
        (6, "chatgpt.com", "10.0.0.5", "unknown", True),
        (7, "chatgpt.com", "10.0.0.5", "unknown", False),
    ]


def test_header_in_an_earlier_chunk_and_epoch_without_date():
    ctx = ParseContext()
    assert parse(NS, [header(("x-cs-timestamp", "cs-host", "c-ip"))], ctx).height == 0
    r = row(["1764583200 chatgpt.com 10.0.0.5"], ctx)
    assert (r["ts"], r["host_raw"], r["client_ip"], r["ok"]) == (
        datetime(2025, 12, 1, 10, tzinfo=UTC), "chatgpt.com", "10.0.0.5", True,
    )  # fmt: skip


def test_csv_records_with_and_without_their_header():
    cells = rec().split(" ")
    csv = ",".join(cells).replace("http_transaction", '"http_transaction, websocket"')
    out = parse(NS, [",".join(FIELDS[:WIDTH]), csv, csv + ",extra"])
    assert out.select("source_line", "host_raw", "ok").rows() == [
        (2, "chatgpt.com", True), (3, "chatgpt.com", False),
    ]  # fmt: skip
    assert row([csv])["host_raw"] == "chatgpt.com"  # headerless: the documented order


def test_syslog_wrapped_and_crlf():
    lines = ["<14>Dec  1 10:00:00 logstream netskope: " + rec(), rec(cs_host="claude.ai") + "\r"]
    out = parse(NS, lines)
    assert out["host_raw"].to_list() == ["chatgpt.com", "claude.ai"]
    assert out["ok"].all()


def test_empty_chunk():
    assert parse(NS, []).height == 0


# --- detection against the W3C format ----------------------------------------------------


def test_a_netskope_fields_header_is_netskope_and_a_proxysg_one_stays_w3c():
    """W3C reads a Netskope file with `#Fields:` too; Netskope, registered first, wins the tie."""
    assert detect(head_lines(FIXTURES / "netskope" / "with_fields_header.log")).fmt is NS
    for case in sorted((FIXTURES / "w3c").glob("*.log")):
        assert detect(head_lines(case)).fmt is FORMATS["w3c"], case.name


# --- SEKOIA's real transaction events ----------------------------------------------------

NETSKOPE_FILE = "other-swg/sekoia__netskope-transaction.log"


def test_peer_file_is_detected_and_every_record_matches_the_expected_output():
    path: Path = peer(NETSKOPE_FILE)
    assert detect(head_lines(path)).fmt is NS
    out = NS.parse(peer_frame(path), ParseContext())
    assert out.height == 4 and out["ok"].all()
    assert check_expected(out, path) == 2  # the other two name no URL, only the SNI
    docs = expected_docs(path)
    for r in out.iter_rows(named=True):
        doc = docs[r["source_line"] - 1]
        assert r["ts"] == datetime.fromisoformat(doc["@timestamp"])
        assert r["bytes_out"] == doc["destination"]["bytes"]  # SEKOIA: cs-bytes
        assert r["bytes_in"] == doc["source"]["bytes"]  # SEKOIA: sc-bytes
    assert out["host_raw"].to_list() == [
        "www.cnn.com", "one.one.one.one", "www.googleapis.com", "www.bing.com",
    ]  # fmt: skip
    assert out["action"].to_list() == ["unknown", "allowed", "allowed", "allowed"]
