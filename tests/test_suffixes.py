"""Registered domains in one vectorised pass give exactly what tldextract gives.

Proven here over every rule of the bundled Public Suffix List (the rule itself and
names one and two labels under it), wildcard and exception rules, IP addresses,
punycode, odd characters and empty labels, and for any host Hypothesis builds from
labels and suffixes.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowscan.enrich import hosts
from shadowscan.enrich.suffixes import PublicSuffixes

SUFFIXES = PublicSuffixes(hosts._extract())
RULES = sorted(hosts._extract().tlds)
EDGES = [
    "com", "co.uk", "a.co.uk", "b.a.co.uk", "a..com", ".com", "-.com", "_dmarc.x.com",
    "10.0.0.1", "1.2.3.4.5", "2001:db8::1", "localhost", "a.internal", "a b.com",
    "a.b.ck", "www.ck", "x.y.www.ck", "a.kawasaki.jp", "city.kawasaki.jp", "b.city.kawasaki.jp",
    "x.github.io", "xn--bcher-kva.example", "a.xn--p1ai", "xn--p1ai", "a.com.", "",
]  # fmt: skip


def _tldextract(names: list[str | None]) -> list[str | None]:
    return [None if h is None else registered_domain_of(h) for h in names]


def registered_domain_of(host: str) -> str | None:
    return hosts._extract()(host).top_domain_under_public_suffix or None


def _check(names: list[str | None]) -> None:
    got = SUFFIXES.registered(pl.Series(names, dtype=pl.String)).to_list()
    wrong = [(h, g, w) for h, g, w in zip(names, got, _tldextract(names), strict=True) if g != w]
    assert not wrong, wrong[:10]


def test_edge_cases_agree_with_tldextract() -> None:
    _check([*EDGES, None])


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_every_suffix_rule_agrees_with_tldextract(depth: int) -> None:
    prefix = "".join(f"l{i}." for i in range(depth))
    _check([prefix + rule.replace("*", "star").lstrip("!").lower() for rule in RULES])


_LABEL = st.sampled_from(["a", "bb", "com", "uk", "co", "jp", "github", "io", "ck", "www",
                          "city", "kawasaki", "x1", "-", "_", "", "xn--p1ai", "10"])  # fmt: skip


@given(st.lists(st.lists(_LABEL, min_size=1, max_size=6), min_size=1, max_size=50))
def test_any_host_agrees_with_tldextract(label_lists: list[list[str]]) -> None:
    _check([".".join(labels) for labels in label_lists])
