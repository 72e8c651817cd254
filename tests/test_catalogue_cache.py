"""The compiled catalogue cache: used when intact, rebuilt when rules change, never trusted
when corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowscan.errors import RuleError
from shadowscan.match import catalogue as catalogue_module
from shadowscan.match.cache import CACHE_ENV
from shadowscan.match.catalogue import load_catalogue
from tests.test_rules import _good, _rules_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the catalogue builds from rule files (each cache miss is one)."""
    counted: list[int] = []
    build = catalogue_module._checked

    def counting(dirs):
        counted.append(1)
        return build(dirs)

    monkeypatch.setattr(catalogue_module, "_checked", counting)
    return counted


def _one_file(cache: Path) -> Path:
    (stored,) = cache.iterdir()
    return stored


def test_a_second_load_reads_the_cache(tmp_path, cache, builds):
    root = _rules_dir(tmp_path / "rules", {"good.toml": _good("good.example")})
    first = load_catalogue(root)
    second = load_catalogue(root)
    assert len(builds) == 1
    assert second.services == first.services and list(second.services) == ["good"]


def test_an_edited_added_or_removed_rule_file_rebuilds(tmp_path, cache, builds):
    root = _rules_dir(tmp_path / "rules", {"good.toml": _good("good.example")})
    load_catalogue(root)
    (root / "services" / "good.toml").write_text(_good("better.example"))
    edited = load_catalogue(root)
    assert [r.pattern for r in edited.host_rules] == ["better.example"]
    (root / "services" / "more.toml").write_text(_good("more.example").replace("Good", "More"))
    assert set(load_catalogue(root).services) == {"good", "more"}
    assert len(builds) == 3
    (root / "services" / "more.toml").unlink()  # back to the edited state: its cache serves
    removed = load_catalogue(root)
    assert [r.pattern for r in removed.host_rules] == ["better.example"]
    assert len(builds) == 3


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b[:40] + bytes([b[40] ^ 0xFF]) + b[41:],  # one byte altered
        lambda b: b"",  # empty
        lambda b: b"\x80\x05garbage" * 10,  # not ours at all
    ],
    ids=["truncated", "altered", "empty", "garbage"],
)
def test_a_corrupt_cache_is_rebuilt_never_used(tmp_path, cache, builds, damage):
    root = _rules_dir(tmp_path / "rules", {"good.toml": _good("good.example")})
    load_catalogue(root)
    stored = _one_file(cache)
    stored.write_bytes(damage(stored.read_bytes()))
    assert list(load_catalogue(root).services) == ["good"]
    assert len(builds) == 2
    load_catalogue(root)  # the rebuilt file was written back
    assert len(builds) == 2


def test_a_broken_rule_is_reported_every_time(tmp_path, cache):
    root = _rules_dir(tmp_path / "rules", {"bad.toml": _good("b.example", category="nope")})
    for _ in range(2):
        with pytest.raises(RuleError):
            load_catalogue(root)
    assert not cache.exists() or not any(cache.iterdir())


def test_an_unwritable_cache_is_not_kept(tmp_path, monkeypatch, builds):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))  # under a file: cannot exist
    root = _rules_dir(tmp_path / "rules", {"good.toml": _good("good.example")})
    assert list(load_catalogue(root).services) == ["good"]
    assert list(load_catalogue(root).services) == ["good"]
    assert len(builds) == 2


def test_off_disables_the_cache(tmp_path, monkeypatch, builds):
    monkeypatch.setenv(CACHE_ENV, "off")
    root = _rules_dir(tmp_path / "rules", {"good.toml": _good("good.example")})
    load_catalogue(root)
    load_catalogue(root)
    assert len(builds) == 2


def test_only_the_files_used_last_are_kept(tmp_path, cache, monkeypatch):
    monkeypatch.setattr("shadowscan.match.cache.KEEP", 2)
    roots = [
        _rules_dir(tmp_path / f"rules{i}", {"good.toml": _good(f"g{i}.example")}) for i in range(4)
    ]
    for root in roots:
        load_catalogue(root)
    assert len(list(cache.iterdir())) == 2
    assert [r.pattern for r in load_catalogue(roots[-1]).host_rules] == ["g3.example"]
