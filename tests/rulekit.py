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


def hostile_service(name: str) -> str:
    """A chat service on `evil-ai.example` whose name is hostile text (markup, formulas,
    escapes), kept literal by a TOML literal string: for the escaping tests."""
    assert "'" not in name and "\n" not in name, "a TOML literal string holds neither"
    return (
        f'name = \'{name}\'\nvendor = "Evil"\ncategory = "chat"\n'
        'homepage = "https://evil-ai.example"\n\n[[hosts]]\npattern = "evil-ai.example"\n'
        'match = "suffix"\nsignal = "ui"\n\n[tests]\n'
        'match = [{ input = "app.evil-ai.example", signal = "ui" }]\n'
        'no_match = ["notevil-ai.example"]\n'
    )


def rules_dir(root: Path, files: dict[str, str]) -> Path:
    """A local rules folder (`*.toml` directly in it), laid over the bundled catalogue."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root
