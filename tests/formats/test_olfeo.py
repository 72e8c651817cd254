"""Olfeo Secure Web Gateway access logs: fields, detection both ways, bad lines, SEKOIA's sample."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.ingest.detect import detect
from shadowscan.pipeline import parse_file
from tests.formats.common import (
    FIXTURES,
    check_expected,
    check_samples_with_garbage,
    expected_docs,
    parse,
    peer,
    peer_frame,
)

OLFEO = FORMATS["olfeo"]
#: The same request as Apache/nginx combined log writes it: month name, colon, offset.
CLF = '10.0.0.5 - alice [01/Dec/2025:10:00:00 +0000] "GET https://chatgpt.com/ HTTP/1.1" 200 512'


def olfeo(request: str, status: str = "200", user: str = "alice") -> str:
    return f'10.0.0.5 - {user} [01/12/2025 10:00:00] "{request}" {status} - - 1042 Generative AI'


def test_output_columns_have_the_event_schema_dtypes():
    check_samples_with_garbage(OLFEO)


def test_fields():
    post, tunnel, denied = parse(OLFEO, list(OLFEO.samples)).rows(named=True)
    assert post["ts"] == datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
    assert (post["client_ip"], post["user_raw"], post["host_raw"], post["method"]) == (
        "10.0.0.5", "alice", "chatgpt.com", "POST",
    )  # fmt: skip
    assert (post["url_path"], post["status"], post["action"]) == (
        "/backend-api/conversation", 200, "unknown",
    )  # fmt: skip
    assert (tunnel["user_raw"], tunnel["host_raw"], tunnel["url_path"]) == (
        None, "claude.ai:443", None,
    )  # fmt: skip
    # The leading blank a relay left; a 403 is not taken for Olfeo's own verdict.
    assert (denied["client_ip"], denied["user_raw"], denied["status"], denied["action"]) == (
        "10.0.0.9", "ACME\\bob", 403, "unknown",
    )  # fmt: skip
    assert "bytes_in" not in parse(OLFEO, list(OLFEO.samples)).columns  # the number is a category


def test_day_first_local_time_in_the_given_zone():
    line = olfeo("GET https://chatgpt.com/ HTTP/1.1").replace(
        "01/12/2025 10:00:00", "02/07/2024 07:51:20"
    )
    out = parse(OLFEO, [line], ParseContext(timezone="Europe/Paris"))
    assert out["ts"][0] == datetime(2024, 7, 2, 5, 51, 20, tzinfo=UTC)


def test_users_with_blanks_http_1_0_and_syslog_headers():
    lines = [
        olfeo("GET https://chatgpt.com/c/1 HTTP/1.1", user="CN=Agent Smith,OU=fr"),
        olfeo("GET http://claude.ai/ HTTP/1.0"),
        "<134>Dec  1 10:00:00 olfeo01 olfeo: "
        + olfeo("CONNECT https://gemini.google.com:443 HTTP/1.1"),
    ]
    out = parse(OLFEO, lines)
    assert out["ok"].all()
    assert out["user_raw"][0] == "CN=Agent Smith,OU=fr"
    assert out["host_raw"].to_list() == ["chatgpt.com", "claude.ai", "gemini.google.com:443"]


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(
            olfeo("GET https://chatgpt.com/ HTTP/1.1").replace("01/12", "31/02"), id="no-such-day"
        ),
        pytest.param(
            olfeo("GET https://chatgpt.com/ HTTP/1.1").removesuffix(" 1042 Generative AI"),
            id="no-category",
        ),
        pytest.param(olfeo("GET /relative HTTP/1.1"), id="no-host"),
        pytest.param(
            olfeo("GET https://chatgpt.com/ HTTP/1.1", status="OK"), id="status-not-a-number"
        ),
        pytest.param(CLF, id="common-log-format"),
        pytest.param("Olfeo proxy restarted", id="prose"),
        pytest.param('"\x00[01/12/2025 10:00:00] "', id="debris"),
    ],
)
def test_bad_lines_are_rejected_not_fatal(line):
    assert parse(OLFEO, [line])["ok"].to_list() == [False]


def test_keeps_to_its_own_lines_both_ways():
    assert not OLFEO.signature([CLF])
    assert detect(list(OLFEO.samples)).fmt is OLFEO
    for name, fmt in FORMATS.items():
        if name != "olfeo":
            assert detect(list(fmt.samples)).fmt is fmt, name
            assert not (
                OLFEO.signature(list(fmt.samples)) and parse(OLFEO, list(fmt.samples))["ok"].any()
            )


def test_fixture_lines_are_all_accounted_for():
    """No day 31/02, no category, a relative URL (no host), prose: 4 of 10 rejected."""
    result, _ = parse_file(FIXTURES / "olfeo" / "rejected_lines.log", log_format="olfeo")
    assert (result.lines, result.events, result.rejected, result.skipped) == (10, 6, 4, 0)
    assert [s.split(":")[0] for s in result.samples] == ["line 4", "line 5", "line 6", "line 7"]


# --- real logs from other projects --------------------------------------------------------


def test_peer_file_matches_the_expected():
    path = peer("other-swg/sekoia__olfeo-swg.log")
    lines = peer_frame(path)
    assert detect(lines["line"].to_list()).fmt is OLFEO
    out = OLFEO.parse(lines, ParseContext())
    assert out.height == 4 and out["ok"].all()
    assert check_expected(out, path) == 4
    docs = expected_docs(path)
    for r, doc in zip(out.iter_rows(named=True), docs, strict=True):
        assert r["ts"].isoformat().replace("+00:00", "Z") == doc["@timestamp"]
        assert (r["method"], r["status"]) == (
            doc["http"]["request"]["method"], doc["http"]["response"]["status_code"],
        )  # fmt: skip
