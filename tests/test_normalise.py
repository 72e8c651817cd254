"""Normalising a parser's rows into events: whatever the log holds, an event stays small.

Proven here: every text field is cut to its documented cap (a host to its last
whole labels, so it still matches its service), the event is flagged `cut` exactly
when something was cut, and for any input the stored record's size is bounded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowscan.enrich.hosts import HostTable
from shadowscan.match.catalogue import load_catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.normalise import normalise
from shadowscan.schema import CAPS, DEFAULT_CAP, EVENT_SCHEMA, STORE_SCHEMA, UNCAPPED
from shadowscan.store.delta import EventStore
from tests.test_incremental import run

SOURCE = "/var/log/squid/access.log"
TEXT_FIELDS = [n for n, t in EVENT_SCHEMA.items() if t == pl.String and n not in UNCAPPED]
#: The largest a stored event can be: every capped field at 4 bytes a character,
#: the source path, and 8 bytes for each other field.
RECORD_BOUND = (
    4 * sum(CAPS.get(n, DEFAULT_CAP) for n in TEXT_FIELDS) + len(SOURCE) + 8 * len(EVENT_SCHEMA)
)
#: What parsers hand over, as text: the raw host and user, and the fields taken as they are.
PARSED = ("host_raw", "user_raw", "client_ip", "method", "url_path", "user_agent", "action")


def _events(**columns: list[str | None]) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    parsed = pl.DataFrame(
        {
            "ts": [datetime(2026, 11, 2, tzinfo=UTC)] * height,
            "ok": [True] * height,
            **{n: columns.get(n, [None] * height) for n in PARSED},
        },
        schema_overrides={n: pl.String for n in PARSED},
    )
    return normalise(parsed, HostTable(), "squid", SOURCE)


def _size(row: dict) -> int:
    return sum(len(v.encode()) if isinstance(v, str) else 8 for v in row.values())


@pytest.mark.parametrize(
    ("host_raw", "host"),
    [
        ("chatgpt.com", "chatgpt.com"),
        ("a" * 300 + ".chatgpt.com", "chatgpt.com"),
        ("ab." * 100 + "chatgpt.com:443", "ab." * 80 + "chatgpt.com"),
        ("x" * 400, "x" * 253),
    ],
)
def test_a_long_host_keeps_its_last_whole_labels(host_raw: str, host: str) -> None:
    event = _events(host_raw=[host_raw]).row(0, named=True)
    assert event["host"] == host and len(host) <= 253
    assert event["cut"] == (len(host_raw.removesuffix(":443")) > 253)


def test_a_cut_host_still_matches_its_service() -> None:
    events = _events(host_raw=["w." * 200 + "chatgpt.com"])
    matched = HostMatcher(load_catalogue()).match_events(events)
    assert matched["service_id"].to_list() == ["chatgpt"] and matched["cut"].to_list() == [True]


def test_long_text_keeps_its_start_up_to_its_cap() -> None:
    url = "/backend-api/conversation?q=" + "A" * 5000
    event = _events(url_path=[url], user_agent=["Mozilla/5.0 " * 100]).row(0, named=True)
    assert event["url_path"] == url[: CAPS["url_path"]]
    assert event["user_agent"] == ("Mozilla/5.0 " * 100)[: CAPS["user_agent"]]
    assert event["cut"] is True


def test_nothing_long_is_never_cut() -> None:
    events = _events(host_raw=["chatgpt.com", None], url_path=["/", None])
    assert events["cut"].to_list() == [False, False]
    assert events.schema == STORE_SCHEMA


_ANY_TEXT = st.one_of(
    st.none(),
    st.text(max_size=30),
    # long runs, the shape of attacker-made values, without Hypothesis building each char
    st.builds(lambda unit, n: unit * n, st.text(min_size=1, max_size=4), st.integers(0, 1500)),
)


@given(st.lists(st.fixed_dictionaries({n: _ANY_TEXT for n in PARSED}), min_size=1, max_size=5))
def test_for_any_input_a_stored_event_is_bounded(rows: list[dict]) -> None:
    events = _events(**{n: [r[n] for r in rows] for n in PARSED})
    for row in events.iter_rows(named=True):
        assert _size(row) <= RECORD_BOUND
        long = any(len(row[n] or "") > CAPS.get(n, DEFAULT_CAP) for n in TEXT_FIELDS)
        assert not long
    assert events["cut"].null_count() == 0


def test_an_ingested_long_url_is_stored_cut_and_still_counted(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    url = "http://chatgpt.com/" + "A" * 60_000
    log.write_text(
        f"1795000000.000 100 10.0.0.1 TCP_MISS/200 1000 GET {url} alice HIER_DIRECT/x -\n"
    )
    summary = run(tmp_path / "s", log)
    assert summary.total("ai_events") == 1
    event = EventStore(tmp_path / "s").events().collect().row(0, named=True)
    assert event["cut"] is True and len(event["url_path"]) == CAPS["url_path"]
