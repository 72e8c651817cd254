"""One error hierarchy, rendered once at the CLI boundary.

Each error a user can cause carries a one-sentence message, an optional
location (`path:line`) and a hint; the CLI maps it to an exit code.
"""

from __future__ import annotations


class ShadowscanError(Exception):
    """An expected failure: shown as one clear message, never a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, location: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint


class UsageError(ShadowscanError):
    """The command line asks for something impossible (bad path, bad option)."""


class InputError(ShadowscanError):
    """A log file or folder cannot be read."""


class StoreError(ShadowscanError):
    """The event store is missing, unreadable or not a shadowscan store."""


class RuleError(ShadowscanError):
    """A rule file in the catalogue is invalid."""


class PolicyError(ShadowscanError):
    """The policy file (`shadowscan.toml`) or a file it names is invalid."""
