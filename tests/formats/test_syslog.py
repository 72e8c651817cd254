"""Syslog headers come off in one pass; year-less and naive times land in the right UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.formats.base import ParseContext
from shadowscan.formats.syslog import local_time, unwrap, with_syslog_time


@pytest.mark.parametrize(
    ("line", "msg", "host", "prog"),
    [
        ("<14>Dec  1 10:00:00 gw prog[12]: hello world", "hello world", "gw", "prog"),
        ("Sep 21 00:00:12 dnsmasq[676]: reply a is 1.2.3.4", "reply a is 1.2.3.4", None,
         "dnsmasq"),
        ("<165>1 2025-12-01T10:00:00.003Z gw.example app - ID47 [ex@1 iut=\"3\"] An event",
         "An event", "gw.example", "app"),
        ("<14>1 2025-12-01T10:00:00Z gw app 1 - - msg", "msg", "gw", "app"),
        ("2023-07-06T08:11:40+02:00 pa.host 1,2023/07/06 08:11:40,0",
         "1,2023/07/06 08:11:40,0", "pa.host", None),
        ("client @0x7f 10.0.0.1#5 (a.example): query", "client @0x7f 10.0.0.1#5 (a.example): query",
         None, None),
        # RFC 3164 without a host or program: the time is followed by the message (PAN-OS).
        ("Oct 30 09:46:12 1,2012/10/30 09:46:11,0011C100xxxx,THREAT,url",
         "1,2012/10/30 09:46:11,0011C100xxxx,THREAT,url", None, None),
        ("<14>Oct 30 09:46:12 date=2025-12-01 type=utm", "date=2025-12-01 type=utm", None, None),
        ("Dec  1 10:00:00 1764583200.123 45 10.0.0.5", "1764583200.123 45 10.0.0.5", None, None),
        # a host alone: a name with a letter, an IPv4 or an IPv6 address
        ("<14>Dec  1 10:00:00 10.1.2.3 1,2025/12/01", "1,2025/12/01", "10.1.2.3", None),
        ("<14>Dec  1 10:00:00 fd00::1 1,2025/12/01", "1,2025/12/01", "fd00::1", None),
        ("Dec  1 10:00:00 gw-1.example CEF:0|x", "CEF:0|x", "gw-1.example", None),
        # an ISO time with a program tag, with or without a host
        ("2020-09-10T09:51:28+02:00 unbound[38663]: [38663:2] info: x", "[38663:2] info: x",
         None, "unbound"),
        ("2020-09-10T09:51:28Z fw squid: 1764583200.123 45", "1764583200.123 45", "fw", "squid"),
        # TABs between the time, the program and the message (OPNsense, pfSense exports)
        ("2020-09-10T09:51:28\tunbound[38663]\t[38663:2] info: 127.0.0.1 a. AAAA IN",
         "[38663:2] info: 127.0.0.1 a. AAAA IN", None, "unbound"),
        ("2020-09-10T09:51:28\tfilterlog:\t5,,,1000", "5,,,1000", None, "filterlog"),
        # a PRI alone (FortiGate), and leading blanks before a header
        ("<189>date=2025-12-01 time=11:00:00", "date=2025-12-01 time=11:00:00", None, None),
        ("  <14>Dec  1 10:00:00 gw prog: m", "m", "gw", "prog"),
    ],
)  # fmt: skip
def test_unwrap(line, msg, host, prog):
    row = pl.select(unwrap(pl.lit(line)).alias("s")).unnest("s").row(0, named=True)
    assert (row["msg"], row["host"], row["prog"]) == (msg, host, prog)


def test_unwrap_keeps_the_header_time():
    lines = [
        "Oct 30 09:46:12 1,2012",
        "2020-09-10T09:51:28\tunbound\tx",
        "<1>1 2025-12-01T10:00:00Z h a - - - m",
    ]
    out = pl.select(unwrap(pl.lit(pl.Series(lines))).struct.field("time")).to_series()
    assert out.to_list() == ["Oct 30 09:46:12", "2020-09-10T09:51:28", "2025-12-01T10:00:00Z"]


@pytest.mark.parametrize(
    ("text", "modified", "year", "expected"),
    [
        ("Nov 13 10:59:00", datetime(2026, 1, 5, tzinfo=UTC), None, datetime(2025, 11, 13, 10, 59)),
        ("Jan  4 23:00:00", datetime(2026, 1, 5, tzinfo=UTC), None, datetime(2026, 1, 4, 23)),
        ("Jan  4 23:00:00", datetime(2026, 1, 5, tzinfo=UTC), 2019, datetime(2019, 1, 4, 23)),
        ("2025-12-01T10:00:00+01:00", None, None, datetime(2025, 12, 1, 9)),
        ("2025-12-01T10:00:00.5Z", None, None, datetime(2025, 12, 1, 10, 0, 0, 500000)),
        ("2025-12-01T10:00:00", None, None, datetime(2025, 12, 1, 10)),  # no zone: --timezone
    ],
)  # fmt: skip
def test_syslog_time(text, modified, year, expected):
    ctx = ParseContext(modified=modified, year=year)
    value = _syslog_times([text], ctx)[0]
    assert value == expected.replace(tzinfo=UTC)


def test_syslog_time_reads_mixed_iso_shapes_in_one_column_and_zoneless_ones_locally():
    texts = pl.Series(["2020-09-10T09:51:28", "2020-09-10T09:51:28+02:00", "Sep 10 09:51:28"])
    ctx = ParseContext(timezone="Europe/Paris", year=2020)
    out = _syslog_times(texts.to_list(), ctx)
    assert out == [datetime(2020, 9, 10, 7, 51, 28, tzinfo=UTC)] * 3


def _syslog_times(texts: list[str], ctx: ParseContext) -> list[datetime]:
    frame = pl.LazyFrame({"text": texts}, schema={"text": pl.String})
    return with_syslog_time(frame, pl.col("text"), ctx, "ts").collect()["ts"].to_list()


def test_yearless_times_read_29_february_only_in_leap_years():
    texts = ["Feb 29 10:00:00", "Feb 28 10:00:00"]
    leap = ParseContext(modified=datetime(2024, 3, 5, tzinfo=UTC))
    common = ParseContext(modified=datetime(2026, 3, 5, tzinfo=UTC))
    assert _syslog_times(texts, leap) == [
        datetime(2024, 2, 29, 10, tzinfo=UTC),
        datetime(2024, 2, 28, 10, tzinfo=UTC),
    ]
    # 2026 has no 29 February: the latest year before the file's time is 2025, which has none
    assert _syslog_times(texts, common) == [None, datetime(2026, 2, 28, 10, tzinfo=UTC)]
    assert _syslog_times(texts, ParseContext(year=2023)) == [
        None,
        datetime(2023, 2, 28, 10, tzinfo=UTC),
    ]


def test_local_time_reads_naive_times_in_the_given_zone_across_dst():
    naive = pl.Series(
        [datetime(2025, 7, 1, 12), datetime(2025, 3, 30, 2, 30), datetime(2025, 10, 26, 2, 30)]
    )
    ctx = ParseContext(timezone="Europe/Paris")
    out = pl.select(local_time(pl.lit(naive), ctx)).to_series().to_list()
    assert out == [
        datetime(2025, 7, 1, 10, tzinfo=UTC),
        None,  # 02:30 did not exist that night in Paris
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC),  # the first of the two 02:30s
    ]
