"""Finding log files: a recursive walk in name order that never loops or counts a file twice.

Proven here: a folder's files come in name order before its subfolders, also taken
in name order; hidden files and folders are passed over; a symlink loop and a file
reached twice are reported in `skipped`, and special files too; a missing path is a
`UsageError`; an unreadable file is skipped with its reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shadowscan.ingest.walk import find_logs


def _tree(root: Path, *files: str) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    return root


def test_walks_recursively_in_name_order(tmp_path: Path) -> None:
    root = _tree(tmp_path, "b/2.log", "a/z/3.log", "a/1.log", "c.log", "a/10.log")
    found = find_logs([root])
    assert found.files == [
        root / n for n in ("c.log", "a/1.log", "a/10.log", "a/z/3.log", "b/2.log")
    ]
    assert found.skipped == []


def test_hidden_files_and_folders_are_passed_over(tmp_path: Path) -> None:
    root = _tree(tmp_path, ".hidden.log", ".git/objects/x.log", "seen.log", "sub/.swap.log")
    assert find_logs([root]).files == [root / "seen.log"]


def test_a_named_file_is_listed_as_an_absolute_path(tmp_path: Path, monkeypatch) -> None:
    _tree(tmp_path, "logs/access.log")
    monkeypatch.chdir(tmp_path)
    assert find_logs(["logs/access.log"]).files == [tmp_path / "logs/access.log"]


def test_a_symlink_loop_is_reported_not_walked(tmp_path: Path) -> None:
    root = _tree(tmp_path, "a/sub/1.log")
    (root / "a/sub/up").symlink_to(root / "a", target_is_directory=True)
    found = find_logs([root])
    assert found.files == [root / "a/sub/1.log"]
    assert found.skipped == [(root / "a/sub/up", "folder already visited (symlink loop)")]


def test_a_file_reached_twice_is_counted_once(tmp_path: Path) -> None:
    root = _tree(tmp_path, "real/access.log")
    (root / "alias.log").symlink_to(root / "real/access.log")
    found = find_logs([root, root / "real/access.log"])
    assert found.files == [root / "alias.log"]
    assert [reason for _, reason in found.skipped] == ["same file reached twice"] * 2


def test_special_files_and_dangling_links_are_skipped(tmp_path: Path) -> None:
    root = _tree(tmp_path, "access.log")
    os.mkfifo(root / "fifo")
    (root / "gone.log").symlink_to(root / "nowhere.log")
    found = find_logs([root])
    assert found.files == [root / "access.log"]
    assert sorted(found.skipped) == [
        (root / "fifo", "not a regular file"),
        (root / "gone.log", "No such file or directory"),
    ]


def test_a_missing_path_is_skipped_as_unreadable(tmp_path: Path) -> None:
    root = _tree(tmp_path, "open.log")
    found = find_logs([tmp_path / "missing.log", root])
    assert found.skipped == [(tmp_path / "missing.log", "no such file or folder")]
    assert found.unreadable == 1 and [p.name for p in found.files] == ["open.log"]


def test_an_unreadable_file_is_skipped(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    root = _tree(tmp_path, "secret.log", "open.log")
    (root / "secret.log").chmod(0)
    found = find_logs([root])
    assert found.files == [root / "open.log"]
    assert found.skipped == [(root / "secret.log", "permission denied")]
