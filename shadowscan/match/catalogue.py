"""The AI service catalogue: what a service is, and loading the rule folders.

The bundled `rules/` describes the world; `--rules DIR` folders (a company's
own AI gateway, a correction) are laid over it, a service with the same id
replacing the bundled one. Loading collects every problem with its file and
line before failing, so a rule author fixes them all in one pass. A file
marked `review = true` (a candidate from `rules import`) is read and checked
but kept apart: nothing counts as use until an analyst removes the mark.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from shadowscan.errors import RuleError
from shadowscan.match.cache import cached, content_key
from shadowscan.match.rulefile import Problem, read_categories, read_service
from shadowscan.match.service import (  # noqa: F401  (re-exported for callers)
    USE_SIGNALS,
    Exclusion,
    HostRule,
    PathRule,
    Service,
)

RULES_ENV = "SHADOWSCAN_RULES"
"""Rule folders laid over the bundled catalogue, separated like PATH."""


@dataclass
class Catalogue:
    services: dict[str, Service] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    #: (service id, the file it replaced) for local rules that override a service
    overrides: list[tuple[str, Path]] = field(default_factory=list)
    #: candidates marked `review = true`: read and checked, never matched
    awaiting_review: dict[str, Service] = field(default_factory=dict)

    @property
    def host_rules(self) -> list[HostRule]:
        return [rule for service in self.services.values() for rule in service.hosts]

    @property
    def path_rules(self) -> list[PathRule]:
        return [rule for service in self.services.values() for rule in service.paths]

    @property
    def exclusions(self) -> list[Exclusion]:
        return [rule for service in self.services.values() for rule in service.exclusions]

    def resolve(self, service_id: str) -> str | None:
        """The current id for an id or a former id (alias)."""
        if service_id in self.services:
            return service_id
        for service in self.services.values():
            if service_id in service.aliases:
                return service.id
        return None


def default_rules_dir() -> Path:
    """The bundled catalogue: package data `shadowscan.catalogue`, built from `rules/`.

    An editable install maps the package to the checkout's `rules/`, so an edit
    there is live; a wheel carries a copy.
    """
    return Path(str(resources.files("shadowscan.catalogue")))


def rule_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """The bundled rules, then `$SHADOWSCAN_RULES` folders, then `--rules` folders."""
    from_env = [Path(p) for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p]
    return [default_rules_dir(), *from_env, *extra]


def service_files(root: Path) -> list[Path]:
    """A folder's rule files: `services/*.toml`, or `*.toml` directly in a local folder."""
    nested = root / "services"
    folder = nested if nested.is_dir() else root
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("_"))


def gather(dirs: Sequence[Path]) -> tuple[Catalogue, list[Problem]]:
    """Every service in `dirs` (later folders override earlier ones) and every problem."""
    problems: list[Problem] = []
    categories = read_categories(dirs[0] / "categories.toml", problems)
    catalogue = Catalogue(categories=categories)
    for root in dirs:
        if not root.is_dir():
            problems.append(Problem(root, None, "no such rules folder"))
            continue
        files = service_files(root)
        if not files:
            problems.append(Problem(root, None, "no rule files (*.toml) found"))
        for path in files:
            service = read_service(path, categories, problems)
            if service is None:
                continue
            if service.review:
                catalogue.awaiting_review[service.id] = service
                continue
            replaced = catalogue.services.get(service.id)
            if replaced is not None:
                catalogue.overrides.append((service.id, replaced.source))
            catalogue.services[service.id] = service
    return catalogue, problems


def load_catalogue(root: Path | None = None, extra: Iterable[Path] = ()) -> Catalogue:
    """The catalogue to match with: `root` (default: bundled plus local folders).

    Kept compiled on disk by `cache.py`, keyed by the rule files' content; only a
    catalogue without errors is kept, so a broken rule is reported at every run.
    """
    dirs = [root, *extra] if root is not None else rule_dirs(extra)
    return cached(content_key(dirs, service_files), lambda: _checked(dirs), Catalogue)


def _checked(dirs: Sequence[Path]) -> Catalogue:
    catalogue, problems = gather(dirs)
    raise_errors(
        problems,
        "the rules",
        "`shadowscan rules check` lists them; rules/README.md is the grammar.",
    )
    return catalogue


def raise_errors(problems: list[Problem], where: str, hint: str) -> None:
    """One RuleError listing every error-level problem, if any (lint problems pass)."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise RuleError(
            f"{len(errors)} problem(s) in {where}:\n  " + "\n  ".join(map(str, errors)),
            hint=hint,
        )
