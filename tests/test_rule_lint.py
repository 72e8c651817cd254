"""Local rule folders, exclusions and `rules check`: what a rule author sees.

Proven here: a local folder adds and overrides services and resolves former
ids; an exclusion beats every rule in any file; `check` reports unknown
fields, facts without sources, hosts claimed twice, alias clashes and idle
exclusions, each with its file and line, while matching still works.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shadowscan.errors import RuleError
from shadowscan.match.catalogue import load_catalogue, rule_dirs
from shadowscan.match.lint import check
from shadowscan.match.matcher import HostMatcher
from tests.rulekit import rules_dir, service_toml


def test_a_local_folder_adds_a_service_and_overrides_another(tmp_path: Path) -> None:
    local = rules_dir(
        tmp_path,
        {
            "acme-gateway.toml": service_toml("ai.corp.example", signal="api"),
            "perplexity.toml": service_toml("perplexity.ai", name="Perplexity (ours)"),
        },
    )
    catalogue = load_catalogue(extra=[local])
    matcher = HostMatcher(catalogue)
    assert matcher.match_one("llm.ai.corp.example").service_id == "acme-gateway"
    assert catalogue.services["perplexity"].name == "Perplexity (ours)"
    assert matcher.match_one("www.perplexity.ai").service_id == "perplexity"
    assert [sid for sid, _ in catalogue.overrides] == ["perplexity"]
    assert load_catalogue().services["perplexity"].name == "Perplexity"


def test_the_environment_names_local_folders(tmp_path: Path, monkeypatch) -> None:
    local = rules_dir(tmp_path / "env", {"acme-gateway.toml": service_toml("ai.corp.example")})
    monkeypatch.setenv("SHADOWSCAN_RULES", str(local))
    assert rule_dirs()[-1] == local
    assert "acme-gateway" in load_catalogue(extra=()).services


def test_an_alias_resolves_to_the_current_id(tmp_path: Path) -> None:
    extra = 'aliases = ["old-gateway"]\n'
    text = service_toml("ai.corp.example").replace(
        'category = "api"\n', 'category = "api"\n' + extra
    )
    catalogue = load_catalogue(extra=[rules_dir(tmp_path, {"new-gateway.toml": text})])
    assert catalogue.resolve("old-gateway") == "new-gateway"
    assert (
        catalogue.resolve("windsurf") == "windsurf" and catalogue.resolve("codeium") == "windsurf"
    )
    assert catalogue.resolve("nope") is None


def test_an_exclusion_beats_every_rule(tmp_path: Path) -> None:
    exclude = '\n[[exclude]]\npattern = "status.openai.com"\nmatch = "exact"\nreason = "status"\n'
    text = service_toml(
        "openai.com", extra=exclude, cases='match = [{ input = "help.openai.com", signal = "ui" }]'
    )
    matcher = HostMatcher(load_catalogue(extra=[rules_dir(tmp_path, {"openai-web.toml": text})]))
    assert matcher.match_one("help.openai.com").service_id == "openai-web"
    assert matcher.match_one("api.openai.com").service_id == "openai-api"  # more specific
    assert matcher.match_one("status.openai.com") is None
    assert matcher.match_one("x.status.openai.com").service_id == "openai-web"  # exact exclusion


def _problems(tmp_path: Path, files: dict[str, str]) -> list[str]:
    _, problems = check([*rule_dirs(), rules_dir(tmp_path, files)])
    return [str(p) for p in problems]


def test_check_reports_lint_with_file_and_line(tmp_path: Path) -> None:
    facts = (
        '\n[facts]\nheadquarters = { value = "US" }\nconsumer_training = { value = "unknown" }\n'
    )
    typo = service_toml("ai.corp.example").replace(
        'signal = "ui"\n', 'signal = "ui"\nsgnal = 1\n', 1
    )
    problems = _problems(
        tmp_path,
        {
            "typo.toml": typo,
            "nosource.toml": service_toml("b.corp.example") + facts,
            "twice.toml": service_toml("claude.ai"),
            "idle.toml": service_toml(
                "c.corp.example",
                extra=('\n[[exclude]]\npattern = "elsewhere.example"\nreason = "x"\n'),
            ),
        },
    )
    expected = [
        "typo.toml:10: [[hosts]]: unknown field 'sgnal'",
        "nosource.toml:16: fact 'headquarters' has no source",
        "twice.toml:6: host 'claude.ai' is claimed by claude.toml, twice.toml",
        "services/claude.toml:",
        "idle.toml:11: exclude 'elsewhere.example' is under no host rule",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)
    assert len(problems) == 5, problems


def test_lint_does_not_stop_matching_but_errors_do(tmp_path: Path) -> None:
    lint_only = rules_dir(tmp_path / "a", {"twice.toml": service_toml("claude.ai")})
    assert load_catalogue(extra=[lint_only]).services["twice"]
    broken = rules_dir(tmp_path / "b", {"bad.toml": service_toml("x.example", signal="web")})
    with pytest.raises(RuleError, match=r"bad\.toml:6: host 'x.example' signal"):
        load_catalogue(extra=[broken])


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("https://x.example", "is not a host name"),
        ("*.x.example", "is not a host name"),
        ("X.example:443", "is not a host name"),
    ],
)
def test_a_pattern_must_be_a_bare_host(tmp_path: Path, pattern: str, why: str) -> None:
    with pytest.raises(RuleError, match=why):
        load_catalogue(extra=[rules_dir(tmp_path, {"bad.toml": service_toml(pattern)})])


def test_a_missing_local_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such rules folder"):
        load_catalogue(extra=[tmp_path / "nope"])
