"""Find the log files under the paths a user names."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    #: (path, reason) for everything passed over: unreadable, loops, special files.
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    #: how many of those could not be read at all (permissions, I/O errors)
    unreadable: int = 0


def find_logs(paths: list[str | Path]) -> Discovery:
    """Walk folders recursively, in name order, and list the regular files found.

    Symlinked folders are followed once: a loop is reported, not walked again.
    A path that does not exist is skipped and counted as unreadable, like a
    file that cannot be opened: one wrong path does not stop a cron run.
    """
    found = Discovery()
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            found.skipped.append((path, "no such file or folder"))
            found.unreadable += 1
        elif path.is_dir():
            _walk(path, found, seen)
        else:
            _add(path, found, seen)
    return found


def _walk(folder: Path, found: Discovery, seen: set[tuple[int, int]]) -> None:
    def unreadable(exc: OSError) -> None:
        found.skipped.append((Path(exc.filename or folder), exc.strerror or "cannot be read"))
        found.unreadable += 1

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=unreadable):
        stat = os.stat(root)
        if (stat.st_dev, stat.st_ino) in seen:
            found.skipped.append((Path(root), "folder already visited (symlink loop)"))
            dirs.clear()
            continue
        seen.add((stat.st_dev, stat.st_ino))
        dirs.sort()
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in sorted(files):
            if not name.startswith("."):
                _add(Path(root) / name, found, seen)


def _add(path: Path, found: Discovery, seen: set[tuple[int, int]]) -> None:
    try:
        stat = path.stat()
    except OSError as exc:
        found.skipped.append((path, exc.strerror or "cannot be read"))
        found.unreadable += 1
        return
    if not path.is_file():
        found.skipped.append((path, "not a regular file"))
    elif (stat.st_dev, stat.st_ino) in seen:
        found.skipped.append((path, "same file reached twice"))
    elif not os.access(path, os.R_OK):
        found.skipped.append((path, "permission denied"))
        found.unreadable += 1
    else:
        seen.add((stat.st_dev, stat.st_ino))
        found.files.append(path.absolute())
