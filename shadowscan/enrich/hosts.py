"""Host normalisation and registered domains, once per unique host.

Logs spell one host many ways (`ChatGPT.com.`, `chatgpt.com:443`,
`user@chatgpt.com`, `[2001:db8::1]:443`, `bücher.example`); matching needs one
spelling: lower case, no trailing dot, no port, IDNA as punycode.
"""

from __future__ import annotations

import idna
import polars as pl
import tldextract

from shadowscan.memory import detached

# The bundled Public Suffix List snapshot only: these hosts are often air-gapped.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

#: Cached hosts before the cache is dropped, to keep memory bounded.
CACHE_LIMIT = 500_000


def host_expr(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(host, port) expressions for an authority-like string, ASCII part only."""
    text = raw.str.strip_chars().str.replace(r"^[^@/]*@", "").str.replace(r"[/?#].*$", "")
    bracketed = text.str.extract_groups(r"^\[([^\]]*)\](?::(\d*))?$")
    plain = text.str.extract_groups(r"^([^:]*)(?::(\d*))?$")
    is_bracketed = text.str.starts_with("[")
    has_one_colon = text.str.count_matches(":", literal=True) <= 1
    host = (
        pl.when(is_bracketed)
        .then(bracketed.struct.field("1"))
        .when(has_one_colon)
        .then(plain.struct.field("1"))
        .otherwise(text)  # a bare IPv6 address: colons but no port
    )
    port = (
        pl.when(is_bracketed)
        .then(bracketed.struct.field("2"))
        .when(has_one_colon)
        .then(plain.struct.field("2"))
    )
    host = host.str.to_lowercase().str.strip_chars_end(".")
    host = pl.when(host == "").then(None).otherwise(host)
    return host, port.cast(pl.Int32, strict=False)


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
    parts = _EXTRACT(host, include_psl_private_domains=private)
    return parts.top_domain_under_public_suffix or None


class HostTable:
    """host_raw → (host, host_port, registered_domain), cached across chunks."""

    def __init__(self) -> None:
        self._cache = _empty()

    def lookup(self, raw: pl.Series) -> pl.DataFrame:
        """The table rows for these raw hosts (unique, nulls dropped)."""
        wanted = raw.drop_nulls().unique().to_frame("host_raw")
        new = wanted.join(self._cache, on="host_raw", how="anti")
        if new.height:
            if self._cache.height + new.height > CACHE_LIMIT:
                self._cache = _empty()
            self._cache = pl.concat([self._cache, detached(_compute(new))])
        return wanted.join(self._cache, on="host_raw", how="left")


def _compute(new: pl.DataFrame) -> pl.DataFrame:
    host, port = host_expr(pl.col("host_raw"))
    table = new.with_columns(host.alias("host"), port.alias("host_port"))
    odd = table.filter(~pl.col("host").str.contains(r"^[\x00-\x7f]*$"))
    if odd.height:
        fixed = odd.with_columns(
            pl.col("host").map_elements(to_punycode, return_dtype=pl.String)
        ).select("host_raw", pl.col("host").alias("fixed"))
        table = (
            table.join(fixed, on="host_raw", how="left")
            .with_columns(pl.coalesce("fixed", "host").alias("host"))
            .drop("fixed")
        )
    domains = table.select(pl.col("host").drop_nulls().unique())
    domains = domains.with_columns(
        pl.col("host")
        .map_elements(registered_domain, return_dtype=pl.String)
        .alias("registered_domain")
    )
    return table.join(domains, on="host", how="left").select(_empty().columns)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "host_raw": pl.String,
            "host": pl.String,
            "host_port": pl.Int32,
            "registered_domain": pl.String,
        }
    )
