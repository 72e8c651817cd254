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
    """The bundled Public Suffix List's ICANN section, split for vectorised lookups."""

    def __init__(self, rules: Iterable[str], fallback: Callable[[str], str | None]):
        """`rules`: the list's ICANN rules (`com`, `co.uk`, `*.ck`, `!www.ck`); `fallback`:
        the registered domain of one host this cannot decide (tldextract's answer)."""
        self._fallback = fallback
        rules = [rule for rule in rules if rule.isascii()]  # IDN hosts go to the fallback
        # `*.ck` and `!www.ck`: under `ck`, tldextract decides
        wild = {rule.split(".", 1)[1] for rule in rules if rule[0] in "*!"}
        plain = [rule for rule in rules if rule[0] not in "*!"]
        deep = {rule.rsplit(".", 1)[-1] for rule in rules if "." in rule}
        #: top-level domains with no longer rule under them (`com`): the last two labels
        self._flat = pl.Series([r for r in plain if "." not in r and r not in deep]).implode()
        self._plain = pl.Series(plain, dtype=pl.String).implode()
        self._wild = pl.Series(sorted(wild), dtype=pl.String).implode()
        #: labels of the longest rule
        self._depth = max(rule.count(".") + 1 for rule in rules)

    def registered(self, hosts: pl.Series) -> pl.Series:
        """The registered domain of each host (null for IPs, bare suffixes, unknown TLDs)."""
        host = pl.col("host")
        frame = hosts.to_frame("host").with_row_index("_i")
        plain = frame.filter(
            host.str.contains(_DECIDABLE)
            & ~host.str.contains("xn--", literal=True)
            & ~host.str.ends_with(".")
        ).with_columns(host.str.split(".").alias("_labels"))  # once: regexes are slower
        flat = _last(1).is_in(self._flat)
        decided = pl.concat(
            [plain.filter(flat).select("_i", _whole(_last(2))), self._deep(plain.filter(~flat))]
        )
        odd = frame.join(decided, on="_i", how="anti").filter(host.is_not_null())
        if odd.height:
            one = host.map_elements(self._fallback, return_dtype=pl.String)
            decided = pl.concat([decided, odd.select("_i", one.alias("registered_domain"))])
        return frame.join(decided, on="_i", how="left", maintain_order="left")["registered_domain"]

    def _deep(self, frame: pl.DataFrame) -> pl.DataFrame:
        """(`_i`, registered domain) of hosts under longer rules (`co.uk`) or unknown TLDs;
        hosts under a wildcard or exception rule are left out, for tldextract."""
        frame = frame.with_columns(_last(n).alias(f"_{n}") for n in range(1, self._depth + 2))
        chosen = pl.when(False).then(None)
        for n in range(self._depth, 0, -1):  # the longest rule wins
            chosen = chosen.when(pl.col(f"_{n}").is_in(self._plain)).then(pl.col(f"_{n + 1}"))
        wild = pl.any_horizontal(  # a host shorter than n labels has a null `_n`: not wild
            pl.col(f"_{n}").is_in(self._wild).fill_null(False) for n in range(1, self._depth + 1)
        )
        return frame.filter(~wild).select("_i", _whole(chosen))


def _last(n: int) -> pl.Expr:
    """The host's last `n` labels (of its split `_labels`); null for a host with fewer."""
    labels = (pl.col("_labels").list.get(-k, null_on_oob=True) for k in range(n, 0, -1))
    return pl.concat_str(labels, separator=".")


def _whole(domain: pl.Expr) -> pl.Expr:
    """The registered domain, unless its first label is empty (`a..com` has none)."""
    return pl.when(~domain.str.starts_with(".")).then(domain).alias("registered_domain")
