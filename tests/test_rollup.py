"""Reports merged from per-file summaries equal reports scanned from every stored event.

`reference` is the report as it was computed before summaries existed: every
event of the store scanned for the period's days, counts and AI use, and AI
use outside the period matched again per host (and per path on shared hosts).
The summaries' report must give the same JSON, whatever the store, period,
lease map, pseudonymisation or compaction, and must see a rule added today.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.analyse import aggregate, fileparts, partcache
from shadowscan.analyse.aggregate import ai_events, assemble, build_report
from shadowscan.analyse.classify import classify
from shadowscan.analyse.evidence import evidence
from shadowscan.analyse.fileparts import EVENT_COLUMNS, unit
from shadowscan.analyse.partcache import PartCache
from shadowscan.analyse.period import choose_period
from shadowscan.analyse.rollup import Inputs
from shadowscan.match.cache import cache_dir
from shadowscan.match.catalogue import USE_SIGNALS, load_catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.pipeline import ingest
from shadowscan.policy.config import Grant, Policy, load_policy
from shadowscan.report.jsonout import to_json
from shadowscan.report.pseudonym import pseudonymize_report
from shadowscan.store.delta import EventStore
from shadowscan.store.maintenance import compact, prune
from tests.conftest import ORG
from tests.rulekit import rules_dir, service_toml

CATALOGUE = load_catalogue()
T0 = datetime(2026, 11, 2, tzinfo=UTC)
HOSTS = [
    ("chatgpt.com", "/backend-api/conversation"),
    ("claude.ai", "/api/chat"),
    ("www.bing.com", "/chat"),
    ("www.bing.com", "/search"),
    ("copilot.microsoft.com", "/"),
    ("ab.chatgpt.com", "/v1"),
    ("www.example.org", "/index.html"),
]
USERS = [None, "alice", "bob", "carol"]
IPS = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


def reference(store: EventStore, catalogue, since, until, policy: Policy):
    """The report scanned from every stored event, as before per-file summaries."""
    days = store.days()
    period = choose_period(days, since, until)
    counts = store.events().filter(period.filter())
    events, identities = counts.select(pl.len(), pl.col("identity").n_unique()).collect().row(0)
    inputs = Inputs(
        days=days,
        period=period,
        events=events,
        identities=identities,
        use=unit(_ai_events(store, catalogue, period)),
        outside=_outside(store, catalogue, period),
    )
    return assemble(inputs, aggregate._health(store), catalogue, policy)


def _ai_events(store: EventStore, catalogue, period) -> pl.DataFrame:
    """The period's events that match a service: its hosts matched once, then its events."""
    matcher = HostMatcher(catalogue)
    scoped = store.events().filter(period.filter())
    hosts = scoped.select(pl.col("host").drop_nulls().unique()).collect()["host"]
    candidates = pl.concat([matcher.match_hosts(hosts)["host"], matcher.path_hosts])
    events = scoped.filter(pl.col("host").is_in(candidates.implode())).select(EVENT_COLUMNS)
    matched = matcher.match_events(events.sort("ts", "source_file", "source_line").collect())
    return matched.filter(pl.col("service_id").is_not_null())


def _outside(store: EventStore, catalogue, period) -> pl.DataFrame:
    """AI use outside the period per service: each host matched once, shared ones per path."""
    matcher = HostMatcher(catalogue)
    outside = store.events().filter(~period.filter() & pl.col("host").is_not_null())
    counts = (
        (pl.col("ts") < period.start).sum().alias("before"),
        (pl.col("ts") > period.end).sum().alias("after"),
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
    )
    shared = pl.col("host").is_in(matcher.path_hosts.implode())
    by_host = outside.filter(~shared).group_by("host").agg(*counts).collect()
    by_path = outside.filter(shared).group_by("host", "url_path").agg(*counts).collect()
    matched = pl.concat(
        [
            by_host.join(matcher.match_hosts(by_host["host"]), on="host"),
            matcher.match_events(by_path).drop("url_path").drop_nulls("service_id"),
        ],
        how="diagonal_relaxed",
    )
    return (
        matched.filter(pl.col("signal").is_in(USE_SIGNALS))
        .group_by("service_id")
        .agg(pl.col("before", "after").sum(), pl.col("first").min(), pl.col("last").max())
    )


def _squid(rows) -> str:
    """Squid native lines: (seconds after T0, user index, IP index, host index)."""
    lines = []
    for i, (second, user, ip, host) in enumerate(rows):
        name, path = HOSTS[host]
        ts = (T0 + timedelta(seconds=second)).timestamp()
        who = USERS[user] or "-"
        lines.append(
            f"{ts:.3f}    120 {IPS[ip]} TCP_MISS/200 {100 + i} GET http://{name}{path} {who} "
            f"HIER_DIRECT/{name} text/html"
        )
    return "\n".join(lines) + "\n"


def _store(root: Path, batches) -> EventStore:
    """A store with one ingest (so one or more files) per batch of rows."""
    store = EventStore(root / "store")
    for n, rows in enumerate(batches):
        log = root / f"access-{n}.log"
        log.write_text(_squid(rows))
        ingest([log], store, catalogue=CATALOGUE)
    return store


def _policy(root: Path, leases) -> Policy:
    """Alice's and Bob's ChatGPT seats, and the leases: (IP index, user, start s, end s)."""
    ip_map = None
    if leases is not None:
        ip_map = pl.DataFrame(
            [
                (IPS[ip], USERS[user] or "dave", T0 + timedelta(seconds=a), end)
                for ip, user, a, b in leases
                for end in [None if b is None else T0 + timedelta(seconds=a + b)]
            ],
            schema={
                "ip": pl.String,
                "user": pl.String,
                "start": pl.Datetime("us", "UTC"),
                "end": pl.Datetime("us", "UTC"),
            },
            orient="row",
        )
    seats = pl.DataFrame({"user": ["alice", "bob"]})
    grant = Grant("chatgpt", "seats", seats=seats, source="seats.csv")
    return Policy(path=root / "p.toml", ip_map=ip_map, grants=(grant,))


def _same(store: EventStore, since, until, policy: Policy, cache=None) -> str:
    got = build_report(store, CATALOGUE, since, until, policy, parts=cache)
    want = reference(store, CATALOGUE, since, until, policy)
    assert to_json(got) == to_json(want)
    matched = ai_events(store, CATALOGUE, got.period, cache).drop("service_name", "category")
    scanned = _ai_events(store, CATALOGUE, want.period)
    assert matched.sort(pl.all()).equals(scanned.sort(pl.all()))
    key = b"k" * 32
    assert to_json(pseudonymize_report(got, key)) == to_json(pseudonymize_report(want, key))
    return to_json(got)


DAY = 86_400
# Mostly events without a user from two addresses to ChatGPT: the rows a lease can split.
row = st.tuples(
    st.integers(0, 2 * DAY),
    st.sampled_from([0, 0, 0, 1, 2, 3]),
    st.sampled_from([0, 0, 1, 2]),
    st.sampled_from([0, 0, 0, *range(len(HOSTS))]),
)
lease = st.tuples(
    st.integers(0, len(IPS) - 1),
    st.integers(0, len(USERS) - 1),
    st.integers(-DAY, 2 * DAY),
    st.one_of(st.none(), st.integers(1, DAY)),
)
bound = st.one_of(st.none(), st.integers(-DAY, 3 * DAY))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.lists(st.lists(row, min_size=1, max_size=40), min_size=1, max_size=3),
    bounds=st.tuples(bound, bound),
    leases=st.one_of(st.none(), st.lists(lease, max_size=6)),
)
def test_summaries_give_the_scanned_report(tmp_path_factory, batches, bounds, leases):
    root = tmp_path_factory.mktemp("rollup")
    store = _store(root, batches)
    policy = _policy(root, leases)
    cache = PartCache(store, CATALOGUE)
    since = until = None
    if bounds != (None, None):
        a, b = sorted(x if x is not None else DAY for x in bounds)
        since, until = (
            (T0 + timedelta(seconds=a)).isoformat(),
            (T0 + timedelta(seconds=b)).isoformat(),
        )
    _same(store, since, until, policy, cache)
    _same(store, since, until, load_policy(None, {}, CATALOGUE), cache)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seconds=st.lists(st.integers(0, DAY - 1), min_size=2, max_size=30),
    leases=st.lists(
        st.tuples(st.just(0), st.integers(1, 3), st.integers(-DAY, DAY), st.integers(1, DAY)),
        min_size=1,
        max_size=4,
    ),
)
def test_leases_within_a_day_split_weighed_rows_exactly(tmp_path_factory, seconds, leases):
    """One address's events on one day under leases that start and end among them."""
    root = tmp_path_factory.mktemp("leases")
    store = _store(root, [[(s, 0, 0, 0) for s in seconds]])
    _same(store, None, None, _policy(root, leases))


@pytest.mark.parametrize(
    "period",
    [
        (None, None),
        ("2026-11-02", "2026-11-29T23:59:59Z"),
        ("2026-10-20T13:00:00", "2026-11-10T09:30:00"),
        (None, "2026-11-15"),
        ("2026-11-20T08:00:00", "2026-11-20T17:00:00"),
    ],
)
def test_the_fixture_organisation_report_is_the_scanned_one(org_store, period):
    store = EventStore(org_store)
    policy = load_policy(ORG / "shadowscan.toml", {}, CATALOGUE)
    _same(store, *period, policy)


def test_a_lease_starting_within_a_day_splits_its_events(tmp_path):
    """Two events of one address on one day, a lease starting between them: two people."""
    store = _store(tmp_path, [[(3600, 0, 0, 0), (7200, 0, 0, 0), (9000, 0, 0, 0)]])
    policy = _policy(tmp_path, [(0, 1, 5000, None)])
    report = json.loads(_same(store, None, None, policy))
    assert report["headline"]["ai_users"] == 2  # alice through the lease, and the address
    assert report["headline"]["unattributed_identities"] == 1
    period = choose_period(store.days(), None, None)
    everything = classify(_ai_events(store, CATALOGUE, period), policy)
    for who in ("alice", "10.0.0.1"):  # explain reads only who may be theirs: same lines
        lines = evidence(store, CATALOGUE, policy, who, period).lines
        expected = everything.filter((pl.col("identity") == who) | (pl.col("client_ip") == who))
        assert lines["ts"].to_list() == expected.sort("ts")["ts"].to_list()


def test_after_compact_the_report_is_unchanged(tmp_path):
    batches = [[(i * 3000 + n, n % 4, n % 3, n % 7) for i in range(30)] for n in range(4)]
    store = _store(tmp_path, batches)
    policy = _policy(tmp_path, [(0, 1, 5000, 20000), (1, 2, 0, None)])
    cache = PartCache(store, CATALOGUE)
    before = _same(store, None, None, policy, cache)
    files = len(cache.current())
    compact(store, vacuum_hours=0)
    assert len(cache.current()) < files
    assert _same(store, None, None, policy, cache) == before


def test_after_prune_and_reingest_the_report_is_the_scanned_one(tmp_path):
    batches = [[(n * DAY + i * 600, i % 4, i % 3, i % 7) for i in range(20)] for n in range(3)]
    store = _store(tmp_path, batches)
    policy = _policy(tmp_path, None)
    cache = PartCache(store, CATALOGUE)
    _same(store, None, None, policy, cache)
    assert prune(store, (T0 + timedelta(days=1)).date()) == 20
    _same(store, None, None, policy, cache)
    (tmp_path / "access-2.log").write_text(_squid([(2 * DAY + 5, 1, 0, 1)]))
    ingest([tmp_path / "access-2.log"], store, catalogue=CATALOGUE, reingest=True)
    assert _same(store, None, None, policy, cache) == _same(store, None, None, policy)


def test_a_rule_added_today_finds_history(tmp_path, monkeypatch):
    log = tmp_path / "access.log"
    log.write_text(
        "1762070400.000    120 10.0.0.1 TCP_MISS/200 100 GET http://newai.example/chat alice "
        "HIER_DIRECT/newai.example text/html\n"
    )
    store = EventStore(tmp_path / "store")
    ingest([log], store, catalogue=CATALOGUE)
    before = build_report(store, CATALOGUE)  # fills the on-disk cache under today's rules
    assert before.services.is_empty()
    local = rules_dir(tmp_path / "rules", {"newai.toml": service_toml("newai.example")})
    catalogue = load_catalogue(extra=[local])
    after = build_report(store, catalogue)
    assert after.services["service_id"].to_list() == ["newai"]
    assert after.ai_events == 1


def test_a_refresh_reads_only_the_new_files(tmp_path, monkeypatch):
    store = _store(tmp_path, [[(10, 1, 0, 0), (20, 2, 1, 1)]])
    cache = PartCache(store, CATALOGUE)
    first = cache.current()
    read = []
    summarise = fileparts.summarise
    monkeypatch.setattr(
        partcache, "summarise", lambda file, *a: read.append(file) or summarise(file, *a)
    )
    assert cache.current() == first and read == []
    (tmp_path / "more.log").write_text(_squid([(30, 3, 2, 0)]))
    ingest([tmp_path / "more.log"], store, catalogue=CATALOGUE)
    assert len(cache.current()) == len(first) + 1 and len(read) == 1
    # another process finds every summary on disk and reads no file at all
    assert len(PartCache(store, CATALOGUE).current()) == len(first) + 1 and len(read) == 1


def test_a_damaged_summary_is_rebuilt_never_used(tmp_path):
    store = _store(tmp_path, [[(10, 1, 0, 0), (20, 2, 1, 1), (30, 0, 2, 2)]])
    policy = _policy(tmp_path, None)
    want = _same(store, None, None, policy)
    table = DeltaTable(str(store.events_path)).metadata().id
    folder = cache_dir() / "parts" / table / partcache.rules_key(CATALOGUE)[:32]
    assert any(folder.iterdir())
    for entry in folder.iterdir():
        entry.write_bytes(b"garbage")
    assert _same(store, None, None, policy) == want
