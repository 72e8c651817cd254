"""Any line a format reads bare is read the same behind every syslog envelope.

Devices and their relays wrap the same record in different headers (RFC 3164
with or without host and program tag, RFC 5424, ISO times, TABs). The
property: each sample line that a format reads as an event without a header
gives the very same event behind any header `envelope()` draws. Lines that
carry no time of their own take the header's instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.syslog import _HOST, unwrap
from tests.formats.common import parse

#: Formats that never travel through syslog: Zeek's own files, the Windows DNS debug
#: log and Proxifier's client log are read from disk where they are written.
NOT_SYSLOG = {"zeek-tsv", "zeek-json", "windows-dns", "proxifier"}
#: A first word that could be a header's host: behind a time alone it is taken for one,
#: so a hostless header without a program tag cannot carry such a message.
HOST_FIRST = re.compile(rf"(?:{_HOST}) ")
CTX = ParseContext(year=2025)

SHAPES = (
    "rfc3164 host prog", "rfc3164 prog", "rfc3164 host", "rfc3164", "rfc5424", "iso host",
    "iso host prog", "iso prog", "iso tabs",
)  # fmt: skip
_NAME = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True)
_HOSTS = st.one_of(_NAME, st.ip_addresses().map(str))
_PROGS = st.from_regex(r"[a-z][a-z0-9_-]{0,11}(/[a-z]{1,6})?", fullmatch=True)
_TIMES = st.datetimes(datetime(2001, 1, 1), datetime(2037, 12, 31)).map(
    lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000)
)


@st.composite
def envelope(draw, shape: str, prog: str = "") -> tuple[str, datetime]:
    """A header of `shape` with drawn PRI, time, host and program (`prog` when given), and
    its time (UTC)."""
    when, host, prog = draw(_TIMES), draw(_HOSTS), prog or draw(_PROGS)
    pri = draw(st.one_of(st.just(""), st.integers(0, 191).map(lambda n: f"<{n}>")))
    tag = prog + draw(st.one_of(st.just(""), st.integers(1, 99999).map(lambda n: f"[{n}]")))
    if shape.startswith("rfc3164"):  # no year, no fraction: `CTX.year` supplies the year
        when = draw(st.datetimes(datetime(CTX.year, 1, 1), datetime(CTX.year, 12, 31, 23, 59)))
        when = when.replace(microsecond=0)
        stamp = f"{when:%b} {when.day:>2} {when:%H:%M:%S}"
    else:
        offset = draw(st.integers(-12, 14))
        stamp = (when + timedelta(hours=offset)).isoformat(timespec="milliseconds")
        stamp += draw(st.sampled_from(["Z", "+00:00"])) if not offset else f"{offset:+03d}:00"
    sd = draw(st.sampled_from(["-", '[origin@32473 ip="10.0.0.1"]', '[a@1 x="\\]"][b@2]']))
    header = {
        "rfc3164 host prog": f"{pri}{stamp} {host} {tag}: ",
        "rfc3164 prog": f"{pri}{stamp} {tag}: ",
        "rfc3164 host": f"{pri}{stamp} {host} ",
        "rfc3164": f"{pri}{stamp} ",
        "rfc5424": f"<{pri[1:-1] or 14}>1 {stamp} {host} {prog} - - {sd} ",
        "iso host": f"{pri}{stamp} {host} ",
        "iso host prog": f"{pri}{stamp} {host} {tag}: ",
        "iso prog": f"{pri}{stamp} {tag}: ",
        "iso tabs": f"{stamp}\t{tag}\t",
    }[shape]
    return header, when.replace(tzinfo=UTC)


def bare_samples(name: str) -> list[str]:
    """The format's sample lines without the syslog header some of them carry."""
    samples = pl.Series(list(FORMATS[name].samples))
    return pl.select(unwrap(pl.lit(samples)).struct.field("msg")).to_series().to_list()


def fits(shape: str, line: str) -> bool:
    """Whether `line` can travel behind `shape` unambiguously (see `HOST_FIRST`)."""
    return shape != "rfc3164" or not HOST_FIRST.match(line)


SYSLOG_FORMATS = [name for name in FORMATS if name not in NOT_SYSLOG]


@pytest.mark.parametrize("name", SYSLOG_FORMATS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_line_read_bare_is_read_the_same_behind_any_envelope(name, data):
    fmt, lines = FORMATS[name], bare_samples(name)
    bare = parse(fmt, lines, CTX)
    shapes = [data.draw(st.sampled_from(SHAPES)) for _ in lines]
    wrapped = [
        data.draw(envelope(shape))[0] + line if fits(shape, line) else line
        for shape, line in zip(shapes, lines, strict=True)
    ]
    out = parse(fmt, wrapped, CTX)
    read = bare.filter(pl.col("ok"))
    same_lines = out.filter(pl.col("source_line").is_in(read["source_line"].implode()))
    assert same_lines.rows(named=True) == read.rows(named=True)


#: Payloads that carry no time of their own, with the program tag their daemon writes.
TIMELESS = [
    ("dnsmasq", "dnsmasq", "query[A] chatgpt.com from 10.0.0.5"),
    ("bind", "named", "client @0x7f3a 10.0.0.5#53211 (claude.ai): query: claude.ai IN A +E(0)"),
    ("unbound", "unbound", "[1234:0] info: 10.0.0.5 gemini.google.com. A IN"),
    ("fortigate", "", 'time=11:00:02 type="traffic" subtype="forward" srcip=10.0.0.1'),
    ("cef", "", "CEF:0|Acme|GW|1.0|100|allowed|3|src=10.0.0.5 request=https://claude.ai/x"),
]


@pytest.mark.parametrize(("name", "prog", "payload"), TIMELESS, ids=[t[0] for t in TIMELESS])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_a_line_without_a_time_takes_the_envelope_time(name, prog, payload, data):
    shapes = [s for s in SHAPES if ("prog" in s or "tabs" in s or s == "rfc5424") == bool(prog)]
    header, when = data.draw(envelope(data.draw(st.sampled_from(shapes)), prog))
    row = parse(FORMATS[name], [header + payload], CTX).row(0, named=True)
    assert (row["ok"], row["ts"]) == (True, when)
