"""Microsoft IIS native log format (and ISA/TMG's use of it): fields, detection, bad lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.pipeline import parse_file
from tests.formats.common import (
    FIXTURES,
    check_samples_with_garbage,
    expected_docs,
    parse,
    peer,
    peer_frame,
)

IIS = FORMATS["iis"]


def iis(target: str, params: str = "-", method: str = "GET", win32: str = "0") -> str:
    return (
        f"10.0.0.5, ACME\\alice, 12/1/2025, 10:00:00, w3proxy, TMG01, 104.18.32.47, 412, 2311, "
        f"5120, 200, {win32}, {method}, {target}, {params},"
    )


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(IIS)


def test_fields():
    proxied, denied, web = parse(IIS, list(IIS.samples)).rows(named=True)
    assert proxied["ts"] == datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
    assert (proxied["client_ip"], proxied["user_raw"], proxied["host_raw"]) == (
        "10.0.0.5", "ACME\\alice", "chatgpt.com",
    )  # fmt: skip
    assert (proxied["method"], proxied["url_path"], proxied["status"], proxied["action"]) == (
        "POST", "/backend-api/conversation", 200, "allowed",
    )  # fmt: skip
    # Client bytes sent are bytes out, server bytes sent bytes in.
    assert (proxied["bytes_out"], proxied["bytes_in"]) == (2311, 5120)
    assert (denied["host_raw"], denied["url_path"], denied["status"], denied["action"]) == (
        "claude.ai:443", None, 403, "blocked",
    )  # fmt: skip
    # A web server's own request: the host is the server name; IIS 5's two-digit year.
    assert (web["host_raw"], web["user_raw"], web["url_path"], web["action"]) == (
        "SALES1", None, "/DeptLogo.gif", "unknown",
    )  # fmt: skip
    assert web["ts"] == datetime(2001, 3, 20, 7, 55, 20, tzinfo=UTC)


def test_queries_anonymous_users_and_local_time():
    lines = [
        iis("https://www.perplexity.ai/search", params="q=a, b, c"),
        iis("/portal/index.aspx", params="id=42").replace("ACME\\alice", "anonymous"),
        iis("http://chatgpt.com/", win32="12202"),
    ]
    out = parse(IIS, lines, ParseContext(timezone="America/New_York"))
    assert out["ok"].all()
    assert out["url_path"].to_list() == ["/search?q=a, b, c", "/portal/index.aspx?id=42", "/"]
    assert out["user_raw"].to_list() == ["ACME\\alice", None, "ACME\\alice"]
    assert out["host_raw"][1] == "TMG01"
    assert out["action"].to_list() == ["allowed", "unknown", "blocked"]
    assert out["ts"][0] == datetime(2025, 12, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(iis("https://chatgpt.com/").replace("12/1/2025", "13/1/2025"), id="month-13"),
        pytest.param(iis("https://chatgpt.com/").removesuffix(", -,") + ",", id="14-fields"),
        pytest.param(iis("https://chatgpt.com/").removesuffix(","), id="no-final-comma"),
        pytest.param(iis("https://chatgpt.com/").replace(", ", ","), id="no-blanks"),
        pytest.param(iis("https://chatgpt.com/").replace(", 200, ", ", OK, "), id="status-word"),
        pytest.param(iis("https://chatgpt.com/ x"), id="blank-in-target"),
        pytest.param(iis("/").replace("TMG01", "-"), id="no-host-at-all"),
        pytest.param("garbage, more garbage,", id="prose"),
    ],
)
def test_bad_lines_are_rejected_not_fatal(line):
    assert parse(IIS, [line])["ok"].to_list() == [False]


def test_keeps_to_its_own_lines_both_ways():
    assert detect(list(IIS.samples)).fmt is IIS
    for name, fmt in FORMATS.items():
        if name != "iis":
            assert detect(list(fmt.samples)).fmt is fmt, name
            assert not (
                IIS.signature(list(fmt.samples)) and parse(IIS, list(fmt.samples))["ok"].any()
            )


def test_w3c_and_csv_files_of_the_peers_are_not_taken():
    folders = ("w3c-elff", "cisco-umbrella", "panos", "zscaler-nss")
    for path in sorted(p for f in folders for p in peer(f).glob("*") if "." in p.name):
        if path.name.endswith(("-expected.json", ".csv")) or "microsoft-iis" in path.name:
            continue
        head = peer_frame(path)["line"].head(50).to_list()
        assert detect(head).fmt is not IIS, path.name


def test_fixture_lines_are_all_accounted_for():
    """Month 13, fourteen fields, no final comma, no blanks after commas: 4 of 10 rejected."""
    result, _ = parse_file(FIXTURES / "iis" / "rejected_lines.log", log_format="iis")
    assert (result.lines, result.events, result.rejected, result.skipped) == (10, 6, 4, 0)
    assert [s.split(":")[0] for s in result.samples] == ["line 4", "line 5", "line 6", "line 7"]


# --- real logs from other projects --------------------------------------------------------


def test_peer_file_matches_the_expected():
    path = peer("w3c-elff/sekoia__microsoft-iis.log")
    lines = peer_frame(path)
    assert detect(lines["line"].to_list()).fmt is IIS
    out = IIS.parse(lines, ParseContext())
    (row,), (doc,) = out.rows(named=True), expected_docs(path)
    assert row["ok"]
    assert row["ts"].isoformat().replace("+00:00", "Z") == doc["@timestamp"]
    assert row["client_ip"] == doc["client"]["ip"]
    assert row["host_raw"] == doc["observer"]["name"]  # a path target: the server name
    assert (row["bytes_out"], row["bytes_in"]) == (doc["client"]["bytes"], doc["server"]["bytes"])
    http = doc["http"]
    assert (row["method"], row["url_path"], row["status"]) == (
        http["request"]["method"], doc["url"]["path"], http["response"]["status_code"],
    )  # fmt: skip
    assert row["user_raw"] is None and "user" not in doc
