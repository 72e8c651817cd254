"""Helpers the format tests share: input frames, parsing, and the peer projects' real logs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest

from shadowscan.enrich.hosts import normalise_host
from shadowscan.enrich.identity import user_expr
from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.schema import EVENT_SCHEMA

#: The peer projects' real logs, next to this checkout; absent on most machines.
PEER = Path(__file__).resolve().parents[3] / "shared" / "peer-logs"
#: Our scenario logs, one folder per format.
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
#: Skip the test when the peer projects' logs are absent.
needs_peer = pytest.mark.skipif(not PEER.is_dir(), reason=f"{PEER} is absent")
#: A CEF record's start, with or without its `CEF:` prefix.
CEF_LINE = r"^\s*(?:CEF:\s*)?\d+\|"
#: The dtype of every column a parser may return.
PARSED_SCHEMA = {**EVENT_SCHEMA, "host_raw": pl.String, "ok": pl.Boolean}


def frame(lines: list[str], first: int = 1) -> pl.DataFrame:
    """A parser's input chunk: `lines` numbered from `first`."""
    return pl.DataFrame(
        {"source_line": range(first, first + len(lines)), "line": lines},
        schema={"source_line": pl.Int64, "line": pl.String},
    )


def parse(
    fmt: LogFormat, lines: list[str], ctx: ParseContext | None = None, first: int = 1
) -> pl.DataFrame:
    """`fmt`'s rows for `lines` numbered from `first`, in `ctx` or a fresh context."""
    return fmt.parse(frame(lines, first), ctx or ParseContext())


def assert_parsed_schema(out: pl.DataFrame) -> None:
    """Assert every column of a parser's output has its event-schema dtype."""
    assert {name: PARSED_SCHEMA[name] for name in out.columns} == dict(out.schema)


def check_samples_with_garbage(fmt: LogFormat) -> None:
    """Assert `fmt` gives its samples and a garbage line event dtypes and rejects the garbage."""
    out = parse(fmt, [*fmt.samples, "garbage"])
    assert_parsed_schema(out)
    assert out["ok"].to_list()[-1] is False


def peer(rel: str) -> Path:
    """The peer file at `rel` under PEER; skips the test when the peer logs are absent."""
    if not PEER.is_dir():
        pytest.skip(f"{PEER} is absent")
    return PEER / rel


def peer_lines(path: Path) -> list[str]:
    """A peer file's lines, decoded leniently and gunzipped when it ends in `.gz`."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def peer_frame(path: Path) -> pl.DataFrame:
    """A peer file's non-blank lines as a parser's input, numbered as in the file."""
    return frame(peer_lines(path)).filter(pl.col("line").str.strip_chars() != "")


def expected_docs(path: Path) -> list[dict]:
    """The ECS documents SEKOIA's `<file>-expected.json` gives, one per line of the file."""
    return json.loads(path.with_name(path.name + "-expected.json").read_text())["expected"]


def get(doc: dict, dotted: str):
    """The value at the dotted path `a.b.c` of an ECS document, or None."""
    for key in dotted.split("."):
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def expected_host(doc: dict) -> str | None:
    """The host an ECS document names: its URL domain, DNS question or destination domain."""
    keys = ("url.domain", "dns.question.name", "destination.domain")
    return next((host for key in keys if (host := get(doc, key)) is not None), None)


def clean_user(raw: str | None) -> str | None:
    """A user name as the identity normaliser leaves it."""
    return pl.select(user_expr(pl.lit(raw, pl.String))).item()


def check_expected(out: pl.DataFrame, path: Path) -> int:
    """Assert accepted rows' host, client and user equal SEKOIA's; return the hosts compared."""
    docs, hosts = expected_docs(path), 0
    for r in out.filter("ok").iter_rows(named=True):
        doc, line = docs[r["source_line"] - 1], r["source_line"]
        if (host := expected_host(doc)) is not None:
            assert normalise_host(r["host_raw"]) == normalise_host(host), line
            hosts += 1
        if (ip := get(doc, "source.ip")) is not None:
            assert r["client_ip"] == ip, line
        if (name := get(doc, "user.name")) is not None:
            assert clean_user(r["user_raw"]) == clean_user(name), line
    return hosts
