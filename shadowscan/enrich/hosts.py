"""Host normalisation and registered domains, vectorised over a chunk's unique hosts.

Logs spell one host many ways (`ChatGPT.com.`, `chatgpt.com:443`,
`user@chatgpt.com`, `[2001:db8::1]:443`, `bücher.example`); matching needs one
spelling: lower case, no trailing dot, no port, IDNA as punycode. A DNS log can
name millions of unique hosts, so all of it is Polars expressions (tldextract
only for the few hosts `suffixes.py` cannot decide) and only the most frequent
hosts are kept between chunks.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata

import idna
import polars as pl

from shadowscan import __version__
from shadowscan.enrich.suffixes import PublicSuffixes
from shadowscan.match.cache import cached
from shadowscan.memory import detached


@functools.cache
def _extract():
    """tldextract over its bundled Public Suffix List snapshot only (these hosts are often
    air-gapped: no network, ever), imported on first use:
    its imports (requests among them) cost 0.3 s that `--version` and `rules explain`
    never need."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


#: Hosts kept between chunks (the most frequent): a few megabytes whatever the run.
CACHE_HOSTS = 20_000


#: A name or address with at most a port: no user info, brackets, path, blanks or
#: second colon, so a split at the colon spells it (nearly every host in real logs).
_PLAIN_AUTHORITY = r"^[A-Za-z0-9._-]*(?::[0-9]*)?$"


def split_authority(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `host` and `host_port` from its `host_raw` authorities, ASCII part only.

    Plain `name[:port]` authorities are split at the colon; the others (user info,
    IPv6, URL tails, blanks: a few per chunk) go through the general patterns and
    are put back in place. The general path alone cost 3x as much on a chunk of
    28k unique hosts.
    """
    raw = pl.col("host_raw")
    parts = frame.select(
        raw.str.split_exact(":", 1).alias("_parts"),
        raw.str.contains(_PLAIN_AUTHORITY).alias("_plain"),
    )
    name, port = pl.col("_parts").struct.field("field_0"), pl.col("_parts").struct.field("field_1")
    split = parts.select(_spelling(name), port.cast(pl.Int32, strict=False).alias("host_port"))
    host, port = split["host"], split["host_port"]
    other = (~parts["_plain"]).arg_true()  # null hosts are left null by the split
    if other.len():
        general = _general_authority(frame[other])
        host, port = host.scatter(other, general["host"]), port.scatter(other, general["host_port"])
    clean = pl.col("host")
    return frame.with_columns(host, port).with_columns(pl.when(clean != "").then(clean))


def _general_authority(frame: pl.DataFrame) -> pl.DataFrame:
    """`host` and `host_port` of any authority (user info, brackets, URL tails, blanks).

    Step by step in separate selections: in one expression Polars would compute the
    cleaned text and each pattern's groups again for every use (3x slower).
    """
    raw = pl.col("host_raw")
    text = raw.str.strip_chars().str.replace(r"^[^@/]*@", "").str.replace(r"[/?#].*$", "")
    frame = frame.select(text.alias("_text"))
    text = pl.col("_text")
    frame = frame.with_columns(
        text.str.starts_with("[").alias("_bracketed"),
        (text.str.count_matches(":", literal=True) <= 1).alias("_one_colon"),
        text.str.extract_groups(r"^\[([^\]]*)\](?::(\d*))?$").alias("_b"),
        text.str.extract_groups(r"^([^:]*)(?::(\d*))?$").alias("_p"),
    )
    bracketed, plain = pl.col("_b").struct, pl.col("_p").struct
    host = (
        pl.when("_bracketed")
        .then(bracketed.field("1"))
        .when("_one_colon")
        .then(plain.field("1"))
        .otherwise(text)  # a bare IPv6 address: colons but no port
    )
    port = (
        pl.when("_bracketed").then(bracketed.field("2")).when("_one_colon").then(plain.field("2"))
    )
    return frame.select(_spelling(host), port.cast(pl.Int32, strict=False).alias("host_port"))


def _spelling(host: pl.Expr) -> pl.Expr:
    """`host` in lower case without trailing dots."""
    return host.str.to_lowercase().str.strip_chars_end(".").alias("host")


def to_punycode(host: str) -> str:
    """IDNA 2008 (UTS 46) ASCII form; a host that is not valid IDNA stays as it is."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return host


def normalise_host(raw: str | None) -> str | None:
    """The canonical form of one host, exactly as the vectorised path computes it."""
    if raw is None:
        return None
    table = HostTable().lookup(pl.Series("host_raw", [raw], dtype=pl.String))
    return table["host"][0]


def registered_domain(host: str, *, private: bool = False) -> str | None:
    """`a.b.example.co.uk` → `example.co.uk`; IP addresses and bare suffixes → None.

    `private=True` also treats the Public Suffix List's private section as
    suffixes, so each app on a shared platform is its own domain
    (`myapp.vercel.app`, not `vercel.app`).
    """
    parts = _extract()(host, include_psl_private_domains=private)
    return parts.top_domain_under_public_suffix or None


@functools.cache
def _suffixes() -> PublicSuffixes:
    """The suffix list's rules, loaded on first use (commands that match nothing skip it)
    and kept in the cache: tldextract and its imports are 0.2 s of every ingest's start,
    and are loaded only for the odd host only tldextract decides."""
    key = f"tldextract {metadata.version('tldextract')} shadowscan {__version__}"
    rules = cached(hashlib.sha256(key.encode()).hexdigest(), _icann_rules, list, "suffixes")
    return PublicSuffixes(rules, registered_domain)


def _icann_rules() -> list[str]:
    return list(_extract().tlds)


class HostTable:
    """host_raw → (host, host_port, registered_domain) for each chunk's unique hosts.

    Hosts not in the cache are computed together, vectorised, and added to it; when
    it outgrows `limit` by half, it keeps the `limit` hosts seen most often, so a run
    over millions of unique hosts holds no more than a run over a few.
    """

    def __init__(self, limit: int = CACHE_HOSTS) -> None:
        self.limit = limit
        self._cache = _empty().with_columns(pl.lit(0, pl.Int64).alias("hits"))

    def lookup(self, raw: pl.Series) -> pl.DataFrame:
        """The table rows for these raw hosts (unique, nulls dropped)."""
        wanted = raw.drop_nulls().rename("host_raw").value_counts(name="seen")
        # one join finds the cached hosts and their rows (`_at`), where their hits are
        found = wanted.join(self._cache.with_row_index("_at"), on="host_raw", how="left")
        known = found.filter(pl.col("_at").is_not_null())
        new = found.filter(pl.col("_at").is_null())
        fresh = _compute(new.select("host_raw")) if new.height else _empty()
        self._keep(known, fresh.with_columns(new["seen"].cast(pl.Int64).alias("hits")))
        return pl.concat([known.select(fresh.columns), fresh])

    def _keep(self, known: pl.DataFrame, fresh: pl.DataFrame) -> None:
        """Count this chunk's hosts into the cache; past 1.5 × `limit` hosts, keep the
        `limit` most seen (ranking and compacting 20k hosts every chunk cost more than
        finding and computing its new hosts: the slack makes it every few chunks)."""
        hits = self._cache["hits"].scatter(known["_at"], known["hits"] + known["seen"])
        cache = self._cache.with_columns(hits)
        # copies (`detached`) own their strings: views would keep whole chunks alive
        if cache.height + fresh.height > self.limit + self.limit // 2:
            cache = detached(pl.concat([cache, fresh]).top_k(self.limit, by="hits"))
        elif fresh.height:
            cache = pl.concat([cache, detached(fresh)])
        self._cache = cache


def _compute(new: pl.DataFrame) -> pl.DataFrame:
    """The rows of `new`'s raw hosts, in its order."""
    table = spelled(new)
    # raw hosts are unique, and so nearly always are their clean forms: no unique() pass
    return table.with_columns(_suffixes().registered(table["host"])).select(_empty().columns)


def spelled(new: pl.DataFrame) -> pl.DataFrame:
    """`new`'s `host_raw` authorities with their one spelling (`host`, punycode for IDNA)
    and `host_port`: what matching needs, without the suffix list registered domains need."""
    table = split_authority(new)
    host = table["host"]
    odd = (host.str.len_bytes() != host.str.len_chars()).arg_true()
    if odd.len():  # IDNA, one host at a time in Python: the few non-ASCII hosts only
        fixed = host.gather(odd).map_elements(to_punycode, return_dtype=pl.String)
        table = table.with_columns(host.scatter(odd, fixed))
    return table


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "host_raw": pl.String,
            "host": pl.String,
            "host_port": pl.Int32,
            "registered_domain": pl.String,
        }
    )
