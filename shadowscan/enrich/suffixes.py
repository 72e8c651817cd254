"""Registered domains of many hosts at once: the Public Suffix List as a Polars lookup.

tldextract walks one host at a time in Python (about 100k hosts/s): fine for a
few thousand hosts, minutes for the millions of unique names a large network's
DNS log holds. Here each host's last one to four labels are looked up among the
list's rules in one vectorised pass; the longest rule found is the public
suffix, and one more label makes the registered domain, exactly as tldextract
decides for plain names. The few hosts this cannot decide (non-LDH characters,
punycode labels, the list's wildcard and exception rules) go to tldextract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

#: Plain host names: letters, digits, hyphen, underscore, dots; no punycode label.
_DECIDABLE = r"^[a-z0-9_.-]+$"


class PublicSuffixes:
    """The bundled Public Suffix List's ICANN section, sorted for vectorised lookups."""

    def __init__(self, rules: Iterable[str], fallback: Callable[[str], str | None]):
        """`rules`: the list's ICANN rules (`com`, `co.uk`, `*.ck`, `!www.ck`); `fallback`:
        the registered domain of one host this cannot decide (tldextract's answer)."""
        self._fallback = fallback
        rules = [rule for rule in rules if rule.isascii()]  # IDN hosts go to the fallback
        plain = {rule for rule in rules if rule[0] not in "*!"}
        # `*.ck` and `!www.ck`: under `ck`, tldextract decides
        wild = {rule.split(".", 1)[1] for rule in rules if rule[0] in "*!"}
        # One sorted table searched by binary search (ASCII: Python's order is Polars'
        # byte order): `is_in` built a hash set of the 6,400 rules on every call, 0.45 ms
        # each, once per label depth, in every chunk.
        known = sorted(plain | wild)
        self._known = pl.Series(known, dtype=pl.String)
        self._plain = pl.Series([name in plain for name in known])
        self._wild = pl.Series([name in wild for name in known])
        deep = {rule.rsplit(".", 1)[-1] for rule in rules if "." in rule}
        #: top-level domains with no longer rule under them (`com`)
        self._flat = pl.Series([name in plain and name not in deep for name in known])
        #: labels of the longest rule
        self._depth = max(rule.count(".") + 1 for rule in rules)

    def registered(self, hosts: pl.Series) -> pl.Series:
        """The registered domain of each host (null for IPs, bare suffixes, unknown TLDs)."""
        host = pl.col("host")
        frame = hosts.to_frame("host").with_columns(
            (
                host.str.contains(_DECIDABLE)
                & ~host.str.contains("xn--", literal=True)
                & ~host.str.ends_with(".")
            ).alias("_plain"),
            host.str.split(".").alias("_labels"),  # once: regexes are slower
        )
        frame = _with_tails(frame, 1, 2)
        frame = frame.with_columns(self._found(pl.col("_1")).alias("_at1"))
        # most hosts end in a top-level domain with no longer rule (`com`): the last two labels
        flat = pl.col("_plain") & pl.lit(self._flat).gather(pl.col("_at1")).fill_null(False)
        out = frame.select(
            pl.when(flat).then(_whole(pl.col("_2"))).alias("registered_domain"),
            (pl.col("_plain") & ~flat).alias("_deep"),
            (host.is_not_null() & ~pl.col("_plain")).alias("_odd"),
        )
        domains, odd = out["registered_domain"], out["_odd"]
        deep = out["_deep"].arg_true()
        if deep.len():
            decided = self._deep(frame.filter(out["_deep"]))
            domains.scatter(deep, decided["registered_domain"])
            odd.scatter(deep, decided["_odd"])
        odd = odd.arg_true()
        if odd.len():  # tldextract, one host at a time: only for what the rules cannot decide
            one = hosts.gather(odd).map_elements(self._fallback, return_dtype=pl.String)
            domains.scatter(odd, one)
        return domains

    def _deep(self, frame: pl.DataFrame) -> pl.DataFrame:
        """(`registered_domain`, `_odd`) of hosts under longer rules (`co.uk`) or unknown
        TLDs; `_odd` marks hosts under a wildcard or exception rule, for tldextract."""
        frame = _with_tails(frame, 3, self._depth + 1)
        frame = frame.with_columns(
            self._found(pl.col(f"_{n}")).alias(f"_at{n}") for n in range(2, self._depth + 1)
        )
        chosen = pl.when(False).then(None)
        for n in range(self._depth, 0, -1):  # the longest rule wins
            is_rule = pl.lit(self._plain).gather(pl.col(f"_at{n}"))
            chosen = chosen.when(is_rule).then(pl.col(f"_{n + 1}"))
        # a host shorter than n labels has no `_at{n}`: not wild
        wild = pl.any_horizontal(
            pl.lit(self._wild).gather(pl.col(f"_at{n}")).fill_null(False)
            for n in range(1, self._depth + 1)
        )
        return frame.select(
            pl.when(~wild).then(_whole(chosen)).alias("registered_domain"), wild.alias("_odd")
        )

    def _found(self, suffix: pl.Expr) -> pl.Expr:
        """The index of `suffix` among the sorted names, null when it is not one of them."""
        known = pl.lit(self._known)
        at = known.search_sorted(suffix).clip(0, self._known.len() - 1)
        return pl.when(known.gather(at) == suffix).then(at)


def _with_tails(frame: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """`frame` with `_{first}` … `_{last}`: each host's last n labels (of its split
    `_labels`), null for a host with fewer; each built on the one before it."""
    label = pl.col("_labels")
    if first == 1:
        frame = frame.with_columns(label.list.get(-1, null_on_oob=True).alias("_1"))
        first = 2
    for n in range(first, last + 1):
        tail = pl.concat_str(
            label.list.get(-n, null_on_oob=True), pl.col(f"_{n - 1}"), separator="."
        )
        frame = frame.with_columns(tail.alias(f"_{n}"))
    return frame


def _whole(domain: pl.Expr) -> pl.Expr:
    """The registered domain, unless its first label is empty (`a..com` has none)."""
    return pl.when(~domain.str.starts_with(".")).then(domain)
