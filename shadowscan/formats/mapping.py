"""The column mapping `--map` gives: which column holds each event field, and how to
read its times and CSV. Read from `field=Column,…` pairs or a TOML file of them;
every mistake a user can make is one sentence naming where it is.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from shadowscan.errors import InputError
from shadowscan.schema import EVENT_KINDS

#: The fields a mapping may name (`ts` and `host` or `url` are required).
FIELDS = (
    "ts", "host", "url", "user", "client_ip", "method", "url_path", "status", "action",
    "bytes_out", "bytes_in", "user_agent", "port",
)  # fmt: skip
#: Settings a mapping may carry besides its fields.
OPTIONS = ("time_format", "separator", "event_kind")
_SEPARATOR_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class Mapping:
    """Which column (or, for JSON, dotted key path) holds each event field, and how to
    read times and CSV."""

    columns: dict[str, str]
    #: strftime pattern of the time column; None: ISO 8601 or epoch seconds/ms/µs/ns.
    time_format: str | None = None
    #: CSV column separator; None: sniffed from the header row.
    separator: str | None = None
    #: The kind of every event; None: `http` when a URL, method or path is mapped, else `flow`.
    event_kind: str | None = None


def load_mapping(spec: str) -> Mapping:
    """The mapping `spec` gives: `field=Column,…` pairs, or the path of a TOML file of them.

    Raises InputError, one sentence, for an unknown field, a missing required
    field, a malformed pair, or a TOML file that cannot be read or is malformed.
    """
    path = Path(spec)
    try:
        is_file = path.is_file()
    except (OSError, ValueError):
        is_file = False
    if is_file or path.suffix.lower() == ".toml" or "=" not in spec:
        return _from_toml(path)
    return _from_pairs(spec)


def _from_pairs(spec: str) -> Mapping:
    items: dict[str, str] = {}
    for pair in spec.split(","):
        if not pair.strip():
            continue  # a trailing comma
        key, eq, value = (part.strip() for part in pair.partition("="))
        if not eq or not key or not value:
            raise InputError(
                f"--map: {pair.strip()!r} is not a field=Column pair.",
                hint="Write the mapping as ts=Time,host=Domain,user=User.",
            )
        if key in items:
            raise InputError(f"--map: the field {key!r} is named twice.")
        items[key] = value
    return _build(items, "--map", None)


def _from_toml(path: Path) -> Mapping:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            f"no mapping file at {path}.",
            hint="--map takes a TOML file or field=Column pairs such as ts=Time,host=Domain.",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise InputError(f"cannot read the mapping file {path}: {reason}.") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}.", location=str(path)) from None
    for key, value in doc.items():
        if not isinstance(value, str):
            raise InputError(
                f'{path}: {key} must be a string in quotes (key = "Column"), '
                f"not {type(value).__name__} {value!r}.",
                location=str(path),
            )
    return _build(doc, str(path), str(path))


def _build(items: dict[str, str], origin: str, location: str | None) -> Mapping:
    """Validate the pairs of either form; `origin` (`--map` or the file) starts each error."""

    def fail(message: str, hint: str | None = None) -> InputError:
        return InputError(f"{origin}: {message}", location=location, hint=hint)

    for key in items:
        if key not in FIELDS and key not in OPTIONS:
            close = difflib.get_close_matches(key, FIELDS + OPTIONS, n=1)
            raise fail(
                f"unknown field {key!r}; the fields are: {', '.join(FIELDS)}.",
                hint=f"Did you mean {close[0]!r}?" if close else f"Settings: {', '.join(OPTIONS)}.",
            )
    columns = {field: items[field].strip() for field in FIELDS if field in items}
    for field, column in columns.items():
        if not column:
            raise fail(f"the field {field!r} names no column.")
    if "ts" not in columns:
        raise fail("no column for the time: name one with ts=Column.")
    if "host" not in columns and "url" not in columns:
        raise fail("no column for the destination: name one with host=Column or url=Column.")
    kind = items.get("event_kind")
    if kind is not None and kind not in EVENT_KINDS:
        raise fail(f"event_kind {kind!r} is not one of {', '.join(EVENT_KINDS)}.")
    separator = _separator(items.get("separator"), fail)
    time_format = _time_format(items.get("time_format"), fail)
    return Mapping(columns, time_format, separator, kind)


def _separator(value: str | None, fail) -> str | None:
    if value is None:
        return None
    separator = _SEPARATOR_WORDS.get(value.strip().lower(), value)
    if len(separator) != 1 or separator in '"\r\n':
        raise fail(f"separator {value!r} must be one character, such as ',' ';' '|' or 'tab'.")
    return separator


def _time_format(value: str | None, fail) -> str | None:
    if value is None:
        return None
    # Python's `%S.%f` reads microseconds; chrono's `%f` would read nanoseconds.
    time_format = value.replace(".%f", "%.f")
    if "%" not in time_format:
        raise fail(f"time_format {value!r} has no strftime directive such as %d or %H.")
    try:
        is_aware(time_format)
    except pl.exceptions.PolarsError:
        raise fail(f"time_format {value!r} is not a strftime pattern Polars can read.") from None
    return time_format


def is_aware(time_format: str) -> bool:
    """Whether times read with `time_format` carry their zone (`%z`)."""
    probe = pl.select(pl.lit("", pl.String).str.to_datetime(time_format, strict=False))
    return probe.dtypes[0].time_zone is not None  # type: ignore[attr-defined]
