"""Syslog headers come off in one pass; year-less and naive times land in the right UTC instant."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from shadowscan.formats.base import ParseContext
from shadowscan.formats.syslog import local_time, syslog_time, unwrap


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
    ],
)  # fmt: skip
def test_unwrap(line, msg, host, prog):
    row = pl.select(unwrap(pl.lit(line)).alias("s")).unnest("s").row(0, named=True)
    assert (row["msg"], row["host"], row["prog"]) == (msg, host, prog)


@pytest.mark.parametrize(
    ("text", "modified", "year", "expected"),
    [
        ("Nov 13 10:59:00", datetime(2026, 1, 5, tzinfo=UTC), None, datetime(2025, 11, 13, 10, 59)),
        ("Jan  4 23:00:00", datetime(2026, 1, 5, tzinfo=UTC), None, datetime(2026, 1, 4, 23)),
        ("Jan  4 23:00:00", datetime(2026, 1, 5, tzinfo=UTC), 2019, datetime(2019, 1, 4, 23)),
        ("2025-12-01T10:00:00+01:00", None, None, datetime(2025, 12, 1, 9)),
    ],
)  # fmt: skip
def test_syslog_time(text, modified, year, expected):
    ctx = ParseContext(modified=modified, year=year)
    value = pl.select(syslog_time(pl.lit(text), ctx)).item()
    assert value == expected.replace(tzinfo=UTC)


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
