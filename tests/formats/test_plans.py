"""Each value computed once: no parser's optimised query plan repeats a split or extraction.

Polars' common-subexpression elimination shares a repeated expression only at
its outermost level: `splitn(…).struct.field(k)` for one `k`, not `splitn(…)`
picked for two fields, nor anything nested in a shared expression. A parser
that repeats one is silently several times slower, so the plans are read here:
every lazy query a parser collects on its samples and fixtures is explained,
and within one plan node the same string operation on the same input must
appear once.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from shadowscan.formats import FORMATS
from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.fields import split_url, with_url_parts
from shadowscan.formats.mapped import MappedFormat
from shadowscan.formats.mapping import load_mapping
from tests.formats.common import FIXTURES, frame

#: String operations costly enough that running one twice on the same input matters.
COSTLY = re.compile(
    r"\.str\.(splitn|split_exact|split|extract|extract_groups|extract_all|replace|"
    r"replace_all|strptime|json_decode|json_path_match|count_matches|find)\("
)


def _receiver_start(text: str, end: int) -> int:
    """Where the expression whose method call starts at `end` begins (walking back over
    balanced brackets and quoted strings, to a separator at depth 0)."""
    depth, i = 0, end - 1
    while i >= 0:
        char = text[i]
        if char == '"':
            i = text.rfind('"', 0, i)
            if i < 0:
                return 0
        elif char in ")]":
            depth += 1
        elif char in "([":
            if depth == 0:
                return i + 1
            depth -= 1
        elif char in ", " and depth == 0:
            return i + 1
        i -= 1
    return 0


def _call_end(text: str, start: int) -> int:
    """The end of the bracketed argument list opening at `start`."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == '"':
            i = text.find('"', i + 1)
            if i < 0:
                return len(text)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def repeated(plan: str) -> dict[str, int]:
    """Costly calls (input and arguments) made more than once within one plan node."""
    found: dict[str, int] = {}
    for node in plan.splitlines():
        calls = Counter(
            node[_receiver_start(node, m.start()) : _call_end(node, m.end() - 1)]
            for m in COSTLY.finditer(node)
        )
        found.update((call, n) for call, n in calls.items() if n > 1)
    return found


def recorded(monkeypatch: pytest.MonkeyPatch, fmt: LogFormat, lines: list[str]) -> list[str]:
    """The optimised plans of every lazy query `fmt` collects while parsing `lines`."""
    seen: list[str] = []
    collect = pl.LazyFrame.collect

    def recording(self: pl.LazyFrame, *args, **kwargs):
        seen.append(self.explain())
        return collect(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect", recording)
    fmt.parse(frame(lines), ParseContext())
    return seen


def plans(name: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The optimised plans of every lazy query the format collects on its samples and fixtures."""
    fmt = FORMATS[name]
    lines = list(fmt.samples)
    for log in sorted(Path(FIXTURES / name).glob("*.log")):
        text = log.read_text(encoding="utf-8", errors="replace").splitlines()
        lines += [line for line in text if line.strip()]
    return recorded(monkeypatch, fmt, lines)


def test_the_check_sees_a_repeated_split():
    """`split_url`'s two expressions split the URL twice over in one plan; staged, once."""
    urls = pl.LazyFrame({"url": ["https://h/p?q", "h:443", "/p"]})
    authority, path = split_url(pl.col("url"))
    nested = urls.select(authority.alias("a"), path.alias("p"))
    staged = with_url_parts(urls, pl.col("url"), "a", "p")
    found = repeated(nested.explain())
    assert found.get('col("url").str.splitn(["://"])') == 3, found
    assert repeated(staged.explain()) == {}
    assert staged.select("a", "p").collect().equals(nested.collect())


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_value_is_computed_once(name: str, monkeypatch: pytest.MonkeyPatch):
    found = [repeated(plan) for plan in plans(name, monkeypatch)]
    assert not any(found), f"{name} computes these more than once: {found}"


@pytest.mark.parametrize("stem", ["firewall-export", "siem-search"])
def test_a_mapped_export_computes_each_value_once(stem: str, monkeypatch: pytest.MonkeyPatch):
    """A `--map` format is built per mapping, not registered: its fixtures are read here."""
    folder = FIXTURES / "mapped"
    fmt = MappedFormat(load_mapping(str(folder / f"{stem}.toml")))
    log = next(p for p in folder.glob(f"{stem}.*") if p.suffix != ".toml")
    lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = [repeated(plan) for plan in recorded(monkeypatch, fmt, lines)]
    assert found and not any(found), f"{stem} computes these more than once: {found}"
