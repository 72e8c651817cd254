"""Vectorised helpers shared by the format parsers."""

from __future__ import annotations

import re

import polars as pl

from shadowscan.schema import UTC_MICROS


def epoch_seconds(col: pl.Expr) -> pl.Expr:
    """`1258531221.486539` (a string of epoch seconds) as a UTC timestamp, µs exact.

    A float64 carries epoch microseconds to well under 1 µs, so rounding is exact.
    """
    micros = (col.cast(pl.Float64, strict=False) * 1_000_000).round()
    in_range = micros.abs() < 1e17
    return pl.when(in_range).then(micros).cast(pl.Int64).cast(UTC_MICROS)


def to_int(col: pl.Expr, dtype: pl.DataType = pl.Int64) -> pl.Expr:
    """Digits as an integer; anything else (`-`, empty, garbage) as null."""
    return col.cast(dtype, strict=False)


def dash_null(col: pl.Expr) -> pl.Expr:
    """Logs write `-` or nothing for a missing value: both become null."""
    return pl.when(col.is_in(["-", ""])).then(None).otherwise(col)


def split_url(url: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Split an absolute URL, a CONNECT target or a bare path into (authority, path).

    `https://u@h:8443/p?q` → (`u@h:8443`, `/p?q`); `h:443` → (`h:443`, null);
    `/p` → (null, `/p`). The authority is cleaned by the host normaliser.

    Polars shares a repeated expression only at its outermost level, so these
    two expressions split `url` up to three times: in a lazy plan, prefer
    `with_url_parts`, which splits once.
    """
    after = _after_scheme(url)
    head = after.str.splitn("/", 2).struct.field("field_0")
    return _url_parts(url, head, after.str.strip_prefix(head))


def with_url_parts(
    frame: pl.LazyFrame, url: pl.Expr, authority: str = "url_authority", path: str = "url_path"
) -> pl.LazyFrame:
    """`frame` with `url` split by `split_url` into the columns `authority` and `path`,
    each step computed once: the text after any scheme, then the authority."""
    after, head = f"{authority}__after", f"{authority}__head"
    rest = pl.col(after).str.strip_prefix(pl.col(head))
    parts = _url_parts(pl.col(authority), pl.col(head), rest)
    return (
        frame.with_columns(url.alias(authority))
        .with_columns(_after_scheme(pl.col(authority)).alias(after))
        .with_columns(pl.col(after).str.splitn("/", 2).struct.field("field_0").alias(head))
        .with_columns(parts[0].alias(authority), parts[1].alias(path))
        .drop(after, head)
    )


def _after_scheme(url: pl.Expr) -> pl.Expr:
    """What follows the first `://`, or the whole text when there is none."""
    has_scheme = url.str.contains("://", literal=True)
    return pl.when(has_scheme).then(url.str.splitn("://", 2).struct.field("field_1")).otherwise(url)


def _url_parts(url: pl.Expr, head: pl.Expr, rest: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(authority, path) from the text before the first `/` after the scheme and what
    follows it (empty when there is no `/`): the path is that rest, not a second split."""
    is_path = url.str.starts_with("/")
    authority = pl.when(is_path | (head == "")).then(None).otherwise(head)
    path = pl.when(is_path).then(url).when(rest != "").then(rest)
    return authority, path


#: DNS response code names (RFC 1035, 2136, 6891, 8945) → numbers.
RCODES = {
    "NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "NOTIMPL": 4,
    "REFUSED": 5, "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9, "NOTZONE": 10,
    "BADVERS": 16, "BADSIG": 16, "BADKEY": 17, "BADTIME": 18, "BADMODE": 19, "BADNAME": 20,
    "BADALG": 21, "BADTRUNC": 22, "BADCOOKIE": 23,
}  # fmt: skip


def rcode_number(name: pl.Expr) -> pl.Expr:
    """`NXDOMAIN` → 3; anything that is not an rcode name → null."""
    return name.str.to_uppercase().replace_strict(RCODES, default=None, return_dtype=pl.Int32)


def quoted_fields(lines: pl.Series, width: int, separator: str = ",") -> pl.DataFrame:
    """The first `width` fields `c0`… of CSV lines and their count `n`, one row per line.

    Fields may be `"`-quoted (`""` is a quote inside); a missing field is null.

    Polars' multi-threaded CSV reader does the work. A space after a separator
    (`"a", "b"`) is dropped first, or the reader would take the quotes
    literally. A stray quote would make the reader run on into the next line;
    then the row count shows it and a regular expression splits each line alone.
    """
    names = [f"c{i}" for i in range(width)]
    if lines.len() == 0:
        return pl.DataFrame(schema={**dict.fromkeys(names, pl.String), "n": pl.Int32})
    gap = f'"{separator} '
    tidy = lines.to_frame("line").select(
        pl.when(pl.col("line").str.contains(gap, literal=True))
        .then(pl.col("line").str.replace_all(f'"{separator}\\s+"', f'"{separator}"'))
        .otherwise(pl.col("line"))
    )["line"]
    try:
        frame = pl.read_csv(
            tidy.str.join("\n").item().encode(),
            has_header=False,
            separator=separator,
            quote_char='"',
            schema=dict.fromkeys(names, pl.String),
            missing_columns="insert",
            extra_columns="ignore",
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        frame = None
    if frame is None or frame.height != lines.len():
        frame = _split_each(tidy, names, separator)
    present = [pl.when(pl.col(name).is_not_null()).then(i + 1) for i, name in enumerate(names)]
    return frame.with_columns(pl.max_horizontal(present).fill_null(0).alias("n"))


def _split_each(lines: pl.Series, names: list[str], separator: str) -> pl.DataFrame:
    """Split each line alone: quoted fields (`""` is a quote) or bare ones."""
    sep = "\\t" if separator == "\t" else re.escape(separator)  # `|` must not mean "or"
    pattern = f'(?:^|{sep})(?:"(?:[^"]|"")*"|[^{sep}"]*)'
    cells = lines.to_frame("line").select(pl.col("line").str.extract_all(pattern).alias("cells"))

    def cell(i: int) -> pl.Expr:
        raw = pl.col("cells").list.get(i, null_on_oob=True)
        bare = raw if i == 0 else raw.str.slice(1)  # later matches start with the separator
        quoted = bare.str.starts_with('"') & bare.str.ends_with('"') & (bare.str.len_chars() > 1)
        inner = bare.str.slice(1, bare.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
        return pl.when(quoted).then(inner).otherwise(bare).alias(names[i])

    return cells.select(cell(i) for i in range(len(names)))


# The key=value toolkit (Blue Coat, Skyhigh, FortiGate, Sophos, CEF, LEEF). Where a value
# holding spaces is always quoted, `value` reads each key with one literal-led search.
# Where it is not (CEF, LEEF, Skyhigh SSE: `category=Business, Software/Hardware`),
# `mark_keys` first puts a marker byte before every `key=` preceded by whitespace, and
# `kv` takes everything up to the next marker.

#: Marks where a key starts; it never occurs in text logs.
MARK = "\x1e"
_KEY = r"[A-Za-z_][\w.()\[\]-]*"
_BLOCKED = r"(?i)block|den(?:y|ied)|drop|reject|reset|prevent|sinkhole|quarantin|clear_session"
_ALLOWED = (
    r"(?i)allow|accept|permit|pass|alert|monitor|observ|proxied|close|timeout|rst|bypass"
    r"|detect|continue|log-only|override"
)


def mark_keys(text: pl.Expr, key: str = _KEY) -> pl.Expr:
    """`a=1 b=x y` → `␞a=1␞b=x y`: a marker before each key that follows whitespace."""
    return (pl.lit(" ") + text).str.replace_all(rf"\s+({key})=", MARK + "${1}=")


def value(text: pl.Expr, key: str) -> pl.Expr:
    """The raw value of `key` in a line whose values are quoted when they hold spaces:
    a quoted string (escapes allowed) or a word. One literal-led search a key, cheaper
    than marking the whole line when no value needs the marks."""
    return text.str.extract(rf'(?:^|\s){re.escape(key)}=(""[^"=]*""|"(?:[^"\\]|\\.)*"|\S*)')


def unquoted_value(text: pl.Expr, key: str) -> pl.Expr:
    """`unquote(value(text, key))` with one pass fewer: a value `value` finds is quoted
    at both ends or holds no blank, so unquote's first strip of blanks is a no-op."""
    return dash_null(value(text, key).str.strip_chars('"').str.strip_chars(" "))


def kv(marked: pl.Expr, key: str, *, ignore_case: bool = False) -> pl.Expr:
    """The raw value of `key` in a `mark_keys` text (first occurrence), else null."""
    flags = "(?i)" if ignore_case else ""
    return marked.str.extract(f"{MARK}{flags}{re.escape(key)}=([^{MARK}]*)")


def unquote(value: pl.Expr) -> pl.Expr:
    """`"a b"` → `a b` (also the doubled `""x""` of CSV-escaped exports); blank, `-` → null."""
    text = value.str.strip_chars(" \t").str.strip_chars('"').str.strip_chars(" ")
    return dash_null(text)


def query_suffix(query: pl.Expr) -> pl.Expr:
    """A `cs-uri-query` to append to a path: ProxySG logs it with its `?`, IIS without."""
    with_mark = pl.when(query.str.starts_with("?")).then(query).otherwise(pl.lit("?") + query)
    return with_mark.fill_null("")


def verdict(text: pl.Expr) -> pl.Expr:
    """A device's action word as allowed/blocked/unknown (`reset-both`, `passthrough`, `Drop`…)."""
    return (
        pl.when(text.str.contains(_BLOCKED))
        .then(pl.lit("blocked"))
        .when(text.str.contains(_ALLOWED))
        .then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )


def proxy_verdict(filter_result: pl.Expr, proxy_action: pl.Expr) -> pl.Expr:
    """Blue Coat's `sc-filter-result` (DENIED/OBSERVED/PROXIED), else its `s-action` code.

    A Squid-style code (`TCP_NC_MISS`, `TCP_TUNNELED`) that is not `*_DENIED` was served.
    """
    both = pl.concat_str(filter_result, proxy_action, separator=" ", ignore_nulls=True)
    served = proxy_action.str.contains(r"^(?:TCP|UDP)_").fill_null(False)
    return (
        pl.when(both.str.contains(r"(?i)denied|block"))
        .then(pl.lit("blocked"))
        .when(both.str.contains(r"(?i)observed|proxied|allow|pass") | served)
        .then(pl.lit("allowed"))
        .otherwise(pl.lit("unknown"))
    )


def epoch_any(text: pl.Expr) -> pl.Expr:
    """Epoch seconds, ms, µs or ns (told apart by magnitude) as a UTC timestamp."""
    number = text.str.strip_chars('" ').cast(pl.Int64, strict=False)
    micros = (
        pl.when(number < 10**11).then(number * 1_000_000)
        .when(number < 10**14).then(number * 1_000)
        .when(number < 10**17).then(number)
        .otherwise(number // 1_000)
    )  # fmt: skip
    decimal = epoch_seconds(text.str.strip_chars('" '))
    return pl.coalesce(micros.cast(UTC_MICROS), pl.when(text.str.contains(r"\.")).then(decimal))
