"""Writing report files the way cron jobs need: atomically, never over the store."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from shadowscan.errors import UsageError


def atomic_write(path: Path, data: str | bytes, private: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file.

    The file gets the usual mode under the user's umask (0644 for 022), so a
    web server can serve the weekly report; `private` makes it 0600.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        os.fchmod(fd, 0o600 if private else 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def check_output(path: Path, store: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse to write inside the store or over an input (the policy and its files)."""
    target = path.resolve()
    root = store.resolve() if isinstance(store, Path) else None  # object storage: not here
    if root is not None and (target == root or root in target.parents):
        raise UsageError(f"{path} is inside the store {store}.", hint="Write reports elsewhere.")
    if any(target == Path(i).resolve() for i in inputs):
        raise UsageError(
            f"{path} is an input of this report; it would be overwritten.",
            hint="Write reports elsewhere.",
        )
