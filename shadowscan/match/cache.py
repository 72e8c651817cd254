"""The compiled catalogue (and the suffix list's rules) kept on disk, so a start does not
parse every rule file again.

Reading 250 TOML files costs about 0.3 s of CPU at every `ingest`, `watch`
cycle and `rules explain`; reading them back compiled costs 0.02 s. The
cache is keyed by the content of every rule file (and the folders and
shadowscan's version), so any edit, added or removed file rebuilds it. A
file that is unreadable, truncated or altered fails its checksum and is
rebuilt, never used. A cache that cannot be written is simply not kept.
The `KEEP` files of a kind used last stay (a hit renews a file); older ones are
removed, so rule folders that change often do not fill the disk.

Where: `$SHADOWSCAN_CACHE`, else `$XDG_CACHE_HOME/shadowscan`, else
`~/.cache/shadowscan`; `SHADOWSCAN_CACHE=off` disables it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from shadowscan import __version__

CACHE_ENV = "SHADOWSCAN_CACHE"
#: How many compiled catalogues to keep (the bundled one, and a few `--rules` sets).
KEEP = 8
_DIGEST = hashlib.sha256().digest_size
T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder, or None when disabled."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "shadowscan"


def content_key(dirs: Sequence[Path], files: Callable[[Path], list[Path]]) -> str:
    """A hash of shadowscan's version, the folders and every rule file's name and bytes."""
    digest = hashlib.sha256(__version__.encode())
    for root in dirs:
        digest.update(b"\0dir\0" + str(root).encode())
        paths = [root / "categories.toml", *files(root)] if root.is_dir() else []
        for path in paths:
            digest.update(b"\0file\0" + str(path).encode() + b"\0")
            digest.update(path.read_bytes() if path.is_file() else b"\0missing")
    return digest.hexdigest()


def cached(key: str, build: Callable[[], T], kind: type, name: str = "catalogue") -> T:
    """The object stored under `key` if intact and of `kind`, else `build()`, then stored
    in a file named for what it holds (`name`)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{name}-{key[:32]}.pickle"
    found = read_checked(path, key, kind)
    if found is not None:
        _touch(path)
        return found
    value = build()
    write_checked(path, key, value)
    _prune(folder, name)
    return value


def read_checked(path: Path, key: str, kind: type):
    """The stored object, or None when absent, altered or not what was stored under `key`."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    checksum, payload = data[:_DIGEST], data[_DIGEST:]
    if hashlib.sha256(key.encode() + payload).digest() != checksum:
        return None  # truncated, corrupt, or another key's: never unpickled
    try:
        value = pickle.loads(payload)
    except Exception:  # a cache that cannot be read is rebuilt, whatever broke
        return None
    return value if isinstance(value, kind) else None


def write_checked(path: Path, key: str, value: object) -> None:
    """Store `value` atomically (a reader sees the old file or the new one); errors ignored."""
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(hashlib.sha256(key.encode() + payload).digest() + payload)
        os.replace(tmp.name, path)
    except (OSError, pickle.PicklingError):
        return


def _touch(path: Path) -> None:
    """Mark a file as used now, so pruning keeps it."""
    try:
        os.utime(path)
    except OSError:
        return


def _prune(folder: Path, name: str) -> None:
    """Remove all but the `KEEP` files of `name` used last (another process may remove them
    first)."""
    try:
        files = sorted(folder.glob(f"{name}-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in files[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        return
