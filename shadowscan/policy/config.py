"""Read `shadowscan.toml`: organisation, directory, IP leases, sanctioned services, prices.

Found at `--config FILE`, else `$SHADOWSCAN_CONFIG`, else `./shadowscan.toml`;
without one nothing is sanctioned. Paths inside are relative to the file.
Every mistake is one `PolicyError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from shadowscan.errors import PolicyError
from shadowscan.match.catalogue import Catalogue
from shadowscan.policy.sheets import read_directory, read_ip_map, read_seats

CONFIG_ENV = "SHADOWSCAN_CONFIG"
DEFAULT_NAME = "shadowscan.toml"
KEYS = {
    "organization": {"name", "headcount", "currency"},
    "directory": {"file", "column"},
    "identity": {"ip_map", "column"},
    "rules": {"dirs"},
}
#: Tables whose keys are the user's own (service ids), not a fixed set.
FREE_TABLES = {"prices"}
GRANT_KEYS = {"service", "plan", "seats", "column", "departments", "everyone", "bundled"}
SEE = "fixtures/org/shadowscan.toml and the README's policy section show every key."


@dataclass(frozen=True)
class Grant:
    """One `[[sanctioned]]` entry: a service and who may use it."""

    service_id: str
    kind: str  # seats | departments | everyone
    plan: str | None = None
    seats: pl.DataFrame | None = None  # user
    departments: tuple[str, ...] = ()
    source: str = ""  # how reports name the grant: the seat file, the departments, "everyone"
    #: comes with another licence (Microsoft 365 Copilot Chat): not counted as coverage
    bundled: bool = False


@dataclass(frozen=True)
class Policy:
    path: Path | None = None
    name: str | None = None
    headcount: int | None = None
    directory: pl.DataFrame | None = None  # user, department, …
    ip_map: pl.DataFrame | None = None  # ip, user, start, end
    grants: tuple[Grant, ...] = ()
    rules_dirs: tuple[Path, ...] = ()
    notes: list[str] = field(default_factory=list)
    #: ISO 4217 code shown beside every amount; None: amounts are shown bare
    currency: str | None = None
    #: per-seat monthly price by service id, for sanctioned grants and candidates alike
    prices: dict[str, float] = field(default_factory=dict)
    #: the policy file and every file it names: a report must never overwrite them
    files: tuple[Path, ...] = ()

    @property
    def sanctioned_services(self) -> set[str]:
        return {g.service_id for g in self.grants}


def find_config(option: Path | None) -> Path | None:
    """`--config`, else `$SHADOWSCAN_CONFIG`, else `./shadowscan.toml` if it exists."""
    if option is not None:
        return option
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    local = Path(DEFAULT_NAME)
    return local if local.is_file() else None


def read_config(path: Path | None) -> dict:
    """The raw TOML of the policy file ({} without one): rule folders are read from it first."""
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise PolicyError(
            f"no policy file at {path}.",
            hint="Check --config or $SHADOWSCAN_CONFIG; without a policy, leave both out.",
        ) from None
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file {path}: {exc.strerror}.",
            hint="Check its permissions.",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(
            f"{path} is not valid TOML: {exc}.",
            hint='Strings need quotes (service = "chatgpt"); each grant is a [[sanctioned]] table.',
        ) from None
    _check_keys(path, doc)
    return doc


def rules_dirs(path: Path | None, doc: dict) -> tuple[Path, ...]:
    dirs = doc.get("rules", {}).get("dirs", [])
    if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
        raise PolicyError(
            f"{path}: [rules] dirs must be a list of folder paths.", hint='dirs = ["rules-local"]'
        )
    return tuple(_relative(path, d) for d in dirs)


def load_policy(path: Path | None, doc: dict, catalogue: Catalogue) -> Policy:
    """The policy in `doc` (read from `path`), its service ids checked against `catalogue`."""
    if path is None:
        return Policy(
            notes=[
                "No policy file: nothing is sanctioned, every AI user counts as "
                "shadow (see `--config`)."
            ]
        )
    org = doc.get("organization", {})
    headcount = org.get("headcount")
    if headcount is not None and (not isinstance(headcount, int) or headcount < 1):
        raise PolicyError(
            f"{path}: [organization] headcount must be a positive whole number.",
            hint="headcount = 1200, without quotes.",
        )
    directory = None
    if "directory" in doc:
        table = doc["directory"]
        directory = read_directory(
            _file(path, table, "directory", "file"), _column(path, table, "[directory]")
        )
    ip_map = None
    if "ip_map" in doc.get("identity", {}):
        table = doc["identity"]
        ip_map = read_ip_map(
            _file(path, table, "identity", "ip_map"), _column(path, table, "[identity]")
        )
    grants = tuple(_grant(path, entry, catalogue, directory) for entry in _entries(path, doc))
    prices = read_prices(path, doc.get("prices", {}), catalogue)
    notes = []
    if ip_map is None:
        notes.append(
            "No [identity] ip_map: events without a user stay IP addresses "
            "(unattributed), not people."
        )
    named = [
        _relative(path, doc[table][key])
        for table, key in (("directory", "file"), ("identity", "ip_map"))
        if isinstance(doc.get(table, {}).get(key), str)
    ]
    named += [_relative(path, e["seats"]) for e in _entries(path, doc) if "seats" in e]
    return Policy(
        path,
        org.get("name"),
        headcount,
        directory,
        ip_map,
        grants,
        rules_dirs(path, doc),
        notes,
        currency=read_currency(path, org.get("currency")),
        prices=prices,
        files=(path.resolve(), *named),
    )


def read_currency(path: Path, value: object) -> str | None:
    """`[organization] currency`: three capital letters (ISO 4217), or None when absent."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise PolicyError(
            f"{path}: [organization] currency {value!r} is not an ISO 4217 code.",
            hint='Three capital letters in quotes: currency = "USD" (or "EUR", "GBP", …).',
        )
    return value


def read_prices(path: Path, table: dict, catalogue: Catalogue) -> dict[str, float]:
    """`[prices]`: a per-seat monthly price (a number, zero or more) by catalogue service id."""
    prices = {}
    for raw_id, value in table.items():
        service_id = catalogue.resolve(raw_id)
        where = f"{path}: [prices] {raw_id!r}"
        if service_id is None:
            raise PolicyError(
                f"{where} is not in the catalogue.", hint=_did_you_mean(raw_id, catalogue)
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0 <= value < math.inf
        ):
            raise PolicyError(
                f"{where}: the price must be a number, zero or more (got {value!r}).",
                hint=f"The monthly price of one seat, without quotes: {service_id} = 30",
            )
        prices[service_id] = float(value)
    return prices


def _did_you_mean(raw_id: object, catalogue: Catalogue) -> str:
    close = difflib.get_close_matches(str(raw_id), list(catalogue.services), n=3)
    return f"Did you mean {', '.join(close)}?" if close else "`shadowscan rules list`."


def _check_keys(path: Path, doc: dict) -> None:
    for table, value in doc.items():
        if table == "sanctioned":
            continue
        if table in FREE_TABLES:
            if not isinstance(value, dict):
                raise PolicyError(f"{path}: [{table}] must be a table.", hint=SEE)
            continue
        if table not in KEYS:
            raise PolicyError(
                f"{path}: unknown table [{table}].",
                hint=f"Known: {', '.join([*KEYS, *FREE_TABLES, 'sanctioned'])}.",
            )
        if not isinstance(value, dict):
            raise PolicyError(f"{path}: [{table}] must be a table.", hint=SEE)
        unknown = sorted(set(value) - KEYS[table])
        if unknown:
            raise PolicyError(
                f"{path}: unknown key {unknown[0]!r} in [{table}].",
                hint=f"Known: {', '.join(sorted(KEYS[table]))}.",
            )


def _entries(path: Path, doc: dict) -> list[dict]:
    entries = doc.get("sanctioned", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise PolicyError(
            f"{path}: write each sanctioned service as a [[sanctioned]] table.", hint=SEE
        )
    return entries


def _grant(path: Path, entry: dict, catalogue: Catalogue, directory) -> Grant:
    raw_id = entry.get("service")
    where = f"{path}: [[sanctioned]] service {raw_id!r}"
    unknown = sorted(set(entry) - GRANT_KEYS)
    if unknown:
        raise PolicyError(
            f"{where}: unknown key {unknown[0]!r}.", hint=f"Known: {', '.join(sorted(GRANT_KEYS))}."
        )
    service_id = catalogue.resolve(raw_id) if isinstance(raw_id, str) else None
    if service_id is None:
        raise PolicyError(
            f"{where} is not in the catalogue.", hint=_did_you_mean(raw_id, catalogue)
        )
    given = [k for k in ("seats", "departments", "everyone") if k in entry]
    if len(given) != 1:
        raise PolicyError(
            f"{where}: give exactly one of seats, departments or everyone.",
            hint="Split a service bought two ways into two [[sanctioned]] tables.",
        )
    bundled = entry.get("bundled", False)
    if not isinstance(bundled, bool):
        raise PolicyError(f"{where}: bundled must be true or false.", hint="bundled = true")
    grant = _grant_of(path, entry, given[0], service_id, directory, where)
    return dataclasses.replace(grant, plan=entry.get("plan"), bundled=bundled)


def _grant_of(path: Path, entry: dict, kind: str, service_id: str, directory, where) -> Grant:
    """The grant's holders, by the one of seats, departments or everyone it gives."""
    if kind == "seats":
        column = _column(path, entry, f"[[sanctioned]] {entry['service']!r}")
        seats = read_seats(_relative(path, entry["seats"]), column)
        return Grant(service_id, "seats", seats=seats, source=str(entry["seats"]))
    if kind == "departments":
        departments = entry["departments"]
        if not isinstance(departments, list) or not all(isinstance(d, str) for d in departments):
            raise PolicyError(
                f"{where}: departments must be a list of names.", hint='departments = ["Legal"]'
            )
        if directory is not None:
            known = directory["department"].drop_nulls().unique().sort()
            missing = sorted(set(departments) - set(known))
            if missing:
                raise PolicyError(
                    f"{where}: department {missing[0]!r} is not in the directory.",
                    hint=f"Departments present: {', '.join(known)}.",
                )
        return Grant(
            service_id,
            "departments",
            departments=tuple(departments),
            source="departments " + ", ".join(departments),
        )
    if entry["everyone"] is not True:
        raise PolicyError(
            f"{where}: everyone must be true (or leave it out).", hint="everyone = true"
        )
    return Grant(service_id, "everyone", source="everyone")


def _file(path: Path, table: dict, name: str, key: str) -> Path:
    value = table.get(key)
    if not isinstance(value, str):
        raise PolicyError(
            f'{path}: [{name}] needs {key} = "FILE".', hint="Paths are relative to the policy file."
        )
    return _relative(path, value)


def _column(path: Path, table: dict, where: str) -> str | None:
    """The `column` naming a file's user column, when the table gives one."""
    value = table.get("column")
    if value is not None and not isinstance(value, str):
        raise PolicyError(f"{path}: {where} column must be a header name.", hint='column = "Email"')
    return value


def _relative(path: Path, value: str) -> Path:
    return (path.parent / value).resolve()
