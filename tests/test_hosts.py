"""Host normalisation: one spelling per host, registered domains offline, one computation per host.

Proven here: the table of spellings `normalise_host` folds together (case, trailing
dots, ports, user info, IPv6, IDNA, URL tails, blanks); that it is idempotent and blind
to case, a trailing dot and a port for any generated host name; `registered_domain`
on its table and with the network blocked; and that `HostTable.lookup` returns one
row per unique raw host and never computes a host twice.
"""

from __future__ import annotations

import socket

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowscan.enrich import hosts
from shadowscan.enrich.hosts import HostTable, normalise_host, registered_domain


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

    assert hosts._EXTRACT.suffix_list_urls == ()
    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    # Drop the loaded suffix list so it is loaded again with sockets blocked.
    monkeypatch.setattr(hosts._EXTRACT, "_extractor", None)
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
