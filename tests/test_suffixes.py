"""Registered domains in one vectorised pass give exactly what tldextract gives.

Proven here over every rule of the bundled Public Suffix List (the rule itself and
names one and two labels under it), wildcard and exception rules, IP addresses,
punycode, odd characters and empty labels, and for any host Hypothesis builds from
labels and suffixes.
"""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shadowscan.enrich import hosts
from shadowscan.enrich.suffixes import PublicSuffixes

SUFFIXES = PublicSuffixes(hosts._extract().tlds, hosts.registered_domain)
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


def test_the_rules_come_from_the_cache_and_tldextract_only_for_odd_hosts(tmp_path):
    """A second start reads the list's rules from the cache: no tldextract import (0.2 s of
    every ingest) until a host only tldextract can decide comes."""
    code = (
        "import sys, polars as pl; from shadowscan.enrich.hosts import _suffixes\n"
        "hosts = pl.Series(['a.b.example.co.uk', 'www.example.com', '10.0.0.1'])\n"
        "print(_suffixes().registered(hosts).to_list(), 'tldextract' in sys.modules)\n"
        "print(_suffixes().registered(pl.Series(['a.b.ck'])).to_list(), "
        "'tldextract' in sys.modules)\n"
    )
    env = {**os.environ, "SHADOWSCAN_CACHE": str(tmp_path)}

    def run() -> list[str]:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()

    first, second = run(), run()
    assert first[0] == "['example.co.uk', 'example.com', None] True"  # built, then kept
    assert second[0] == "['example.co.uk', 'example.com', None] False"
    assert second[1] == f"[{registered_domain_of('a.b.ck')!r}] True"  # a wildcard rule's host
    (tmp_path / next(p.name for p in tmp_path.iterdir())).write_bytes(b"garbage")
    assert run()[0].endswith("True")  # a damaged cache is rebuilt, never trusted


def test_plain_hosts_never_reach_the_slow_fallback():
    """Only wildcard and exception rules, punycode and odd characters need tldextract (one
    host at a time, in Python); a short host's missing labels are no reason."""
    asked = []
    suffixes = PublicSuffixes(RULES, lambda host: asked.append(host))
    plain = ["x.io", "a.b.example.fr", "www.example.co.uk", "a.unknowntld", "com", "10.0.0.1"]
    suffixes.registered(pl.Series(plain))
    assert asked == []
    suffixes.registered(pl.Series(["a.b.ck", "xn--bcher-kva.example"]))
    assert asked == ["a.b.ck", "xn--bcher-kva.example"]
