"""Small rule folders for tests: one service file from a few keyword arguments."""

from __future__ import annotations

from pathlib import Path


def service_toml(
    pattern: str,
    *,
    name: str = "Local AI",
    kind: str = "suffix",
    signal: str = "ui",
    extra: str = "",
    cases: str | None = None,
) -> str:
    cases = cases or f'match = [{{ input = "{pattern}", signal = "{signal}" }}]'
    return (
        f'name = "{name}"\nvendor = "Acme IT"\ncategory = "api"\nhomepage = "https://{pattern}"\n'
        f'\n[[hosts]]\npattern = "{pattern}"\nmatch = "{kind}"\nsignal = "{signal}"\n'
        f'{extra}\n[tests]\n{cases}\nno_match = ["not-{pattern}"]\n'
    )


def rules_dir(root: Path, files: dict[str, str]) -> Path:
    """A local rules folder (`*.toml` directly in it), laid over the bundled catalogue."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root
