"""`shadowscan rules coverage`: the catalogue against a network's own traffic, via the CLI.

Proven here, on a store built from `fixtures/coverage/access.log` (four people:
ChatGPT and Claude, which the catalogue knows; a self-hosted model API, three
AI-named domains it does not; Google, which is not AI): the share of AI-looking
events, identities and hosts the catalogue covers, worked out by hand; the
leads carry `discover`'s reasons and say whether the catalogue knows their
domain; `--min-identities`, `--until` and `--rules` change the answer as they
should (an imported candidate counts once reviewed); output stays inert.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowscan.cli.main import cli
from tests.rulekit import rules_dir, service_toml

LOG = Path(__file__).resolve().parents[1] / "fixtures" / "coverage" / "access.log"


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("coverage") / "store"
    assert invoke("ingest", "-q", "--store", root, LOG).exit_code == 0
    return root


def _coverage(store: Path, *extra: object) -> dict:
    result = invoke("rules", "coverage", "--store", store, "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_shares_of_ai_looking_traffic(store: Path) -> None:
    doc = _coverage(store)
    assert doc["schema"] == "shadowscan.coverage/1"
    # known: alice 3 + bob 2 ChatGPT, carol 1 Claude; leads: 6 events by carol and dave
    assert doc["known"] == {"events": 6, "identities": 3, "hosts": 2}
    assert doc["unknown"] == {"events": 6, "identities": 2, "hosts": 4}
    assert doc["ai_looking"] == {"events": 12, "identities": 4, "hosts": 6}
    assert doc["covered_pct"] == {"events": 50.0, "identities": 75.0, "hosts": 33.3}
    assert (doc["lead_domains"], doc["new_domains"]) == (4, 4)


def test_leads_have_discovers_reasons(store: Path) -> None:
    leads = {lead["host"]: lead for lead in _coverage(store)["leads"]}
    assert list(leads) == [
        "llm.gw.internal.example",
        "newtool.ai",
        "app.sample-relay.ai",
        "fakeclaude.ai",
    ]
    assert (
        "api-shape: 1 model-API requests, e.g. /v1/chat/completions"
        in (leads["llm.gw.internal.example"]["reasons"])
    )
    assert leads["newtool.ai"]["reasons"] == [
        "ai-name: newtool.ai looks like an AI service, used by 2 identities"
    ]
    assert not any(lead["known_domain"] for lead in leads.values())
    assert "www.google.com" not in leads and "chatgpt.com" not in leads


def test_min_identities_and_limit(store: Path) -> None:
    doc = _coverage(store, "--min-identities", "2", "--limit", "1")
    assert doc["unknown"] == {"events": 4, "identities": 2, "hosts": 2}  # API shape + newtool
    assert [lead["host"] for lead in doc["leads"]] == ["llm.gw.internal.example"]


def test_a_period_with_no_traffic(store: Path) -> None:
    doc = _coverage(store, "--until", "2020-01-01")
    assert doc["covered_pct"] == {"events": None, "identities": None, "hosts": None}
    result = invoke("rules", "coverage", "--store", store, "--until", "2020-01-01")
    assert "No AI-looking traffic in the period." in result.output


def test_a_rule_under_a_lead_domain_marks_it_known(store: Path, tmp_path: Path) -> None:
    local = rules_dir(tmp_path / "local", {"relay.toml": service_toml("api.sample-relay.ai")})
    doc = _coverage(store, "--rules", local)
    lead = next(lead for lead in doc["leads"] if lead["host"] == "app.sample-relay.ai")
    assert lead["known_domain"] is True
    assert (doc["lead_domains"], doc["new_domains"]) == (4, 3)


def test_a_reviewed_import_raises_coverage(store: Path, tmp_path: Path) -> None:
    listed = tmp_path / "category-ai-new"
    listed.write_text("domain:newtool.ai\n")
    out = tmp_path / "review"
    assert invoke("rules", "import", listed, "--from", "v2fly", "-o", out).exit_code == 0
    assert _coverage(store, "--rules", out)["covered_pct"]["events"] == 50.0  # under review
    candidate = out / "newtool-ai.toml"
    candidate.write_text(candidate.read_text().replace("review = true\n", ""))
    doc = _coverage(store, "--rules", out)
    assert doc["known"]["events"] == 9 and doc["covered_pct"]["events"] == 75.0


def test_terminal_output_is_inert(store: Path, tmp_path: Path) -> None:
    assert invoke("rules", "coverage", "--store", store).exit_code == 0
    out = tmp_path / "coverage.txt"
    assert invoke("rules", "coverage", "--store", store, "-o", out).exit_code == 0
    text = out.read_text()
    assert "covers: 50.0% of events, 75.0% of identities, 33.3% of hosts" in text
    assert "/[bold]x[/bold]" in text and "\x1b" not in text
    assert "\\x0a" not in text  # two reasons are two lines, not an escaped newline
    inside = invoke("rules", "coverage", "--store", store, "-o", store / "c.txt")
    assert inside.exit_code == 1 and "inside the store" in inside.output


def test_no_store_is_one_clear_error(tmp_path: Path) -> None:
    result = invoke("rules", "coverage", "--store", tmp_path / "none")
    assert result.exit_code == 1 and "no shadowscan store" in result.output
