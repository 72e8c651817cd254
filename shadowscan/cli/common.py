"""What several commands share: opening the store, loading rules and policy, writing output.

The store and the policy are imported when a command opens them: `rules explain`
and `rules list` write through `emit` without loading Delta Lake."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from shadowscan.errors import StoreError
from shadowscan.report.output import atomic_write, check_output

if TYPE_CHECKING:  # the store and the policy load when a command opens them
    from shadowscan.match.catalogue import Catalogue
    from shadowscan.policy.config import Policy
    from shadowscan.store.delta import EventStore


def open_store(path: Path | None, must_exist: bool = True) -> EventStore:
    from shadowscan.store.delta import EventStore, default_store_path

    store = EventStore(path or default_store_path())
    if must_exist and not store.exists():
        raise StoreError(
            f"no shadowscan store at {store.root}.",
            hint="Run `shadowscan ingest LOGS...` first, or pass --store.",
        )
    if must_exist:
        store.check_version()
    return store


def catalogue_and_policy(config: Path | None, rules_dirs) -> tuple[Catalogue, Policy]:
    """The catalogue (bundled, then the policy's rule folders, then --rules) and the policy."""
    from shadowscan.match.catalogue import load_catalogue
    from shadowscan.policy.config import find_config, load_policy, read_config
    from shadowscan.policy.config import rules_dirs as policy_rules

    path = find_config(config)
    doc = read_config(path)
    catalogue = load_catalogue(extra=[*policy_rules(path, doc), *rules_dirs])
    return catalogue, load_policy(path, doc, catalogue)


def emit(
    text: str,
    output: Path | None,
    store: EventStore | None = None,
    inputs=(),
    private: bool = False,
) -> None:
    """Text to `output` (atomically; never in the store or over an input), else to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    if store is not None:
        check_output(output, store.root, inputs)
    atomic_write(output, text, private)


def show(
    render: Callable[[Console], None],
    output: Path | None,
    store: EventStore | None = None,
    inputs=(),
    private: bool = False,
    soft_wrap: bool = False,
) -> None:
    """A Rich view on the terminal, or as plain 160-column text to `output` through `emit`."""
    if output is None:
        render(Console(soft_wrap=soft_wrap))
        return
    buffer = io.StringIO()
    render(Console(file=buffer, width=160, color_system=None, soft_wrap=soft_wrap))
    emit(buffer.getvalue(), output, store, inputs, private)
