"""Every stored file's summary (`fileparts.py`), kept across refreshes and across processes.

The events table's current files are read from its Delta log, updated
incrementally (only the commits since the last look), so a refresh after an
ingest summarises only the files that ingest added, and a file `compact` or
`prune` removed is dropped. Summaries are kept in memory and on disk under
`$SHADOWSCAN_CACHE/parts/<table id>/<rules key>/`, so `report` is fast from
the second run on. The rules key hashes every host rule, exclusion and path
rule, so a rule added today re-reads all history under the new rules: a
summary made under other rules is never used. A damaged cache file fails its
checksum and is rebuilt. With the cache off (`SHADOWSCAN_CACHE=off`) or
unwritable, the process keeps its summaries in a temporary folder of its own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path
from urllib.parse import unquote

import polars as pl
from deltalake import DeltaTable

from shadowscan.analyse.fileparts import FilePart, summarise
from shadowscan.match.cache import cache_dir, read_checked, write_checked
from shadowscan.match.catalogue import Catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.store.delta import EventStore

#: Changes whenever a summary's content or its computation changes: older ones are not read.
FORMAT = 1
#: Rule sets whose summaries are kept per table (the bundled rules and a few `--rules` sets).
KEEP = 4
#: A cache file of no current table file is removed once this old (another process,
#: reading a newer version of the table, may have just written it).
STALE_SECONDS = 3600


def rules_key(catalogue: Catalogue) -> str:
    """A hash of everything matching reads: host rules, exclusions and path rules."""
    rules = sorted(
        [("host", r.pattern, r.kind, r.service_id, r.signal, r.plan) for r in catalogue.host_rules]
        + [("exclude", r.pattern, r.kind, r.service_id, "", "") for r in catalogue.exclusions]
        + [("path", r.host, r.prefix, r.service_id, r.signal, r.plan) for r in catalogue.path_rules]
    )
    return hashlib.sha256(repr((FORMAT, rules)).encode()).hexdigest()


class PartCache:
    """The summaries of the files the events table holds now; only new files are read."""

    def __init__(self, store: EventStore, catalogue: Catalogue):
        self.store = store
        self.matcher = HostMatcher(catalogue)
        self.rules = rules_key(catalogue)
        self._table: DeltaTable | None = None
        self._table_id: str | None = None
        self._folder: Path | None = None
        self._parts: dict[str, FilePart] = {}
        self._lock = threading.Lock()

    def current(self) -> list[FilePart]:
        """One summary per file of the table's newest version, in the log's order."""
        with self._lock:
            fresh = self._folder is None
            paths = self._paths()
            if fresh and self._folder is not None:
                _sweep(self._folder, {self._entry(p, "").name for p in paths})
            gone = set(self._parts) - set(paths)
            for path in gone:
                self._forget(path)
            self._parts = {p: self._parts.get(p) or self._load(p) for p in paths}
            return list(self._parts.values())

    def matched(self, part: FilePart) -> pl.DataFrame:
        """The file's matched events, read back from the cache (computed again if it is gone)."""
        try:
            return pl.read_parquet(self._entry(part.path, ".parquet"))
        except (OSError, pl.exceptions.PolarsError):
            return self._compute(part.path)[1]

    def location(self, part: FilePart) -> str:
        """Where the file itself is, to read its events."""
        return str(self.store.events_path / unquote(part.path))

    def _paths(self) -> list[str]:
        if not (self.store.events_path / "_delta_log").is_dir():
            self._table = None
            return []
        if self._table is None:
            self._table = DeltaTable(str(self.store.events_path))
        else:
            self._table.update_incremental()
        table_id = self._table.metadata().id
        if table_id != self._table_id:  # a new store at the same place: start over
            self._table_id, self._parts, self._folder = table_id, {}, self._open(table_id)
        actions = self._table.get_add_actions(flatten=True)
        return pl.DataFrame(actions).get_column("path").to_list() if len(actions) else []

    def _load(self, path: str) -> FilePart:
        found = read_checked(self._entry(path, ".part"), self._key(path), FilePart)
        if found is not None and self._entry(path, ".parquet").is_file():
            return found
        return self._compute(path)[0]

    def _compute(self, path: str) -> tuple[FilePart, pl.DataFrame]:
        part, matched = summarise(str(self.store.events_path / unquote(path)), path, self.matcher)
        target = self._entry(path, ".parquet")
        try:  # the events first: a summary on disk promises them
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
                matched.write_parquet(tmp.name)
            os.replace(tmp.name, target)
        except OSError:
            return part, matched
        write_checked(self._entry(path, ".part"), self._key(path), part)
        return part, matched

    def _forget(self, path: str) -> None:
        del self._parts[path]
        for suffix in (".part", ".parquet"):
            self._entry(path, suffix).unlink(missing_ok=True)

    def _key(self, path: str) -> str:
        return f"{self.rules}:{path}"

    def _entry(self, path: str, suffix: str) -> Path:
        return self._folder / (hashlib.sha256(path.encode()).hexdigest()[:40] + suffix)

    def _open(self, table_id: str) -> Path:
        """This table's and rules' folder, its stale files and older rule sets removed."""
        base = cache_dir()
        if base is not None:
            folder = base / "parts" / table_id / self.rules[:32]
            try:
                folder.mkdir(parents=True, exist_ok=True)
                os.utime(folder)
                _prune(folder.parent)
                return folder
            except OSError:
                pass
        folder = Path(tempfile.mkdtemp(prefix="shadowscan-parts-"))
        weakref.finalize(self, shutil.rmtree, folder, True)
        return folder


def _prune(table: Path) -> None:
    """Keep the `KEEP` rule sets used last."""
    folders = sorted((p for p in table.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in folders[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)


def _sweep(folder: Path, current: set[str]) -> None:
    """Remove the old entries of files the table no longer holds, and abandoned temporaries.

    Only old ones: another process, reading a newer version of the table,
    may have just written an entry this one does not know yet.
    """
    cutoff = time.time() - STALE_SECONDS
    try:
        for entry in folder.iterdir():
            if entry.name.split(".")[0] not in current and entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
    except OSError:
        return
