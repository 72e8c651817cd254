"""Host normalisation: one spelling per host, registered domains offline, one computation per host.

Proven here: the table of spellings `normalise_host` folds together (case, trailing
dots, ports, user info, IPv6, IDNA, URL tails, blanks); that it is idempotent and blind
to case, a trailing dot and a port for any generated host name; `registered_domain`
on its table and with the network blocked; that `HostTable.lookup` returns one
row per unique raw host and never computes a cached host twice; and that its
bounded cache (the most frequent hosts only) changes no row and no match over a
million unique hosts.
"""

from __future__ import annotations

import socket

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowscan.enrich import hosts
from shadowscan.enrich.hosts import HostTable, normalise_host, registered_domain
from shadowscan.match.catalogue import load_catalogue
from shadowscan.match.matcher import HostMatcher


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("chatgpt.com", "chatgpt.com"),
        ("ChatGPT.COM", "chatgpt.com"),
        ("chatgpt.com.", "chatgpt.com"),
        ("chatgpt.com..", "chatgpt.com"),
        ("chatgpt.com:443", "chatgpt.com"),
        ("ChatGPT.com.:443", "chatgpt.com"),
        ("chatgpt.com:", "chatgpt.com"),
        ("alice@chatgpt.com", "chatgpt.com"),
        ("alice:secret@chatgpt.com:8443", "chatgpt.com"),
        ("  chatgpt.com  ", "chatgpt.com"),
        ("10.0.0.1:3128", "10.0.0.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example"),
        ("bücher.example:443", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("chatgpt.com/backend-api/conversation", "chatgpt.com"),
        ("chatgpt.com:443/path?q=1", "chatgpt.com"),
        ("chatgpt.com?q=1", "chatgpt.com"),
        ("chatgpt.com#top", "chatgpt.com"),
        ("", None),
        ("   ", None),
        (".", None),
        (None, None),
    ],
)
def test_normalise_host(raw: str | None, expected: str | None) -> None:
    assert normalise_host(raw) == expected


_LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_HOSTNAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_PORT = st.integers(0, 65535).map(lambda port: f":{port}")


@st.composite
def _spellings(draw: st.DrawFn) -> str:
    """A host name in random case, with or without a trailing dot and a port."""
    name = draw(_HOSTNAME)
    name = "".join(c.upper() if draw(st.booleans()) else c for c in name)
    return name + draw(st.sampled_from(["", "."])) + draw(st.just("") | _PORT)


@given(_spellings())
def test_normalise_host_is_idempotent(raw: str) -> None:
    once = normalise_host(raw)
    assert normalise_host(once) == once


@given(_HOSTNAME, _PORT)
def test_case_trailing_dot_and_port_never_change_the_host(name: str, port: str) -> None:
    expected = normalise_host(name)
    for variant in (name.upper(), name + ".", name + port, name.upper() + "." + port):
        assert normalise_host(variant) == expected


_PIECE = st.sampled_from(["a", "Z", "0", "9", ".", "-", "_", ":", "443", "@", "/", "[", "]",
                          "?", "#", " ", "\t", "\u0663", "ü", "::1"])  # fmt: skip


@given(st.lists(st.lists(_PIECE, max_size=8).map("".join), min_size=1, max_size=20))
def test_the_plain_split_agrees_with_the_general_patterns(raws: list[str]) -> None:
    """Plain `name[:port]` authorities are split at the colon, the rest go through the
    general patterns: both give the same host and port for anything a log holds."""
    frame = pl.DataFrame({"host_raw": raws}, schema={"host_raw": pl.String})
    got = hosts.split_authority(frame)
    general = hosts._general_authority(frame)
    assert got["host"].to_list() == [host or None for host in general["host"]]
    assert got["host_port"].to_list() == general["host_port"].to_list()


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("a.b.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("chat.openai.com", "openai.com"),
        ("www.xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("10.0.0.1", None),
        ("2001:db8::1", None),
        ("co.uk", None),
        ("com", None),
    ],
)
def test_registered_domain(host: str, expected: str | None) -> None:
    assert registered_domain(host) == expected


def test_registered_domain_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tldextract tried to open a socket")

    assert hosts._extract().suffix_list_urls == ()
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    # Drop the loaded suffix list so it is loaded again with sockets blocked.
    monkeypatch.setattr(hosts._extract(), "_extractor", None)
    assert registered_domain("a.b.example.co.uk") == "example.co.uk"


@pytest.fixture
def compute_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The raw hosts of each `_compute` call, recorded while still computing them."""
    calls: list[list[str]] = []
    real = hosts._compute

    def counting(new: pl.DataFrame) -> pl.DataFrame:
        calls.append(sorted(new["host_raw"].to_list()))
        return real(new)

    monkeypatch.setattr(hosts, "_compute", counting)
    return calls


def test_lookup_returns_one_row_per_unique_raw_host(compute_calls: list[list[str]]) -> None:
    raw = pl.Series(["ChatGPT.com:443", "chatgpt.com", None, "ChatGPT.com:443", "[::1]:80"])
    table = HostTable().lookup(raw)
    rows = sorted(table.rows(), key=lambda row: row[0])
    assert rows == [
        ("ChatGPT.com:443", "chatgpt.com", 443, "chatgpt.com"),
        ("[::1]:80", "::1", 80, None),
        ("chatgpt.com", "chatgpt.com", None, "chatgpt.com"),
    ]
    assert compute_calls == [["ChatGPT.com:443", "[::1]:80", "chatgpt.com"]]


def test_lookup_computes_each_raw_host_once(compute_calls: list[list[str]]) -> None:
    table = HostTable()
    first = table.lookup(pl.Series(["a.example", "b.example"]))
    again = table.lookup(pl.Series(["b.example", "a.example", "a.example"]))
    table.lookup(pl.Series(["a.example", "c.example:80"]))
    assert compute_calls == [["a.example", "b.example"], ["c.example:80"]]
    assert sorted(again.rows()) == sorted(first.rows())


def test_the_cache_keeps_the_most_frequent_hosts(compute_calls: list[list[str]]) -> None:
    table = HostTable(limit=2)
    table.lookup(pl.Series(["often.example"] * 3 + ["once.example"] + ["twice.example"] * 2))
    table.lookup(pl.Series(["often.example", "new.example", "twice.example"]))
    assert sorted(table._cache["host_raw"]) == ["often.example", "twice.example"]
    assert compute_calls[1] == ["new.example"]


def test_the_cache_ranks_only_when_half_again_over_its_limit(compute_calls) -> None:
    """Ranking every chunk cost more than the lookup itself: the cache grows to 1.5 ×
    `limit` hosts, then keeps the `limit` most seen."""
    table = HostTable(limit=4)
    counts = {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1, "f": 1}
    table.lookup(pl.Series([f"{host}.example" for host, n in counts.items() for _ in range(n)]))
    assert table._cache.height == 6
    table.lookup(pl.Series(["a.example", "g.example"]))
    assert sorted(table._cache["host_raw"]) == ["a.example", "b.example", "c.example", "d.example"]
    assert compute_calls[1] == ["g.example"]


def _chunk(i: int, size: int = 100_000) -> pl.Series:
    """`size` raw hosts never seen before (some under AI services, some with a port or
    upper case) and the same 2,000 frequent ones in every chunk."""
    n = pl.int_range(i * size, (i + 1) * size)
    parent = pl.lit(pl.Series(["chatgpt.com", "claude.ai", "example.co.uk", "cdn.example.net",
                               "googleapis.com", "github.io", "b.ck"])).gather(n % 7)  # fmt: skip
    new = pl.format("h{}.{}", n, parent)
    spelled = pl.when(n % 5 == 0).then(new + ":443").when(n % 11 == 0).then(new.str.to_uppercase())
    frequent = pl.format("f{}.{}", n % 2000, parent)
    return pl.select(pl.concat([spelled.otherwise(new), frequent])).to_series()


@pytest.mark.slow  # about 30 s: a million hosts computed twice
def test_a_bounded_cache_changes_no_row_and_no_match_over_a_million_hosts() -> None:
    """Chunk after chunk of unique hosts: the same rows and matches with a cache of
    1,000 hosts as with one that keeps every host, and the cache stays at 1,000."""
    matcher = HostMatcher(load_catalogue())
    bounded, unbounded = HostTable(limit=1_000), HostTable(limit=10**9)
    matched = 0
    for i in range(10):
        raw = _chunk(i)
        got = bounded.lookup(raw).sort("host_raw")
        assert got.equals(unbounded.lookup(raw).sort("host_raw"))
        assert got.height == raw.n_unique()
        matches = matcher.match_hosts(got["host"]).sort("host")
        assert matches.equals(matcher.match_hosts(unbounded.lookup(raw)["host"]).sort("host"))
        matched += matches.height
    assert bounded._cache.height == 1_000 and unbounded._cache.height > 1_000_000
    assert matched > 200_000
