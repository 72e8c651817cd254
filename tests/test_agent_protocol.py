"""The `agent-protocol` category, its path rules on shared hosts, and `review = true`.

Proven here: `agent-protocol` is a known category; path rules express the MCP and
agent-to-agent endpoints (`/mcp`, `/sse`, `/.well-known/agent.json`,
`/.well-known/agent-card.json`) on a shared host, on path boundaries, never for a
DNS event (no path), and the Squid export escapes their dots; a file marked
`review = true` is checked but never matched until the mark is removed, and
`rules check` lists it as awaiting review, and flags a host in it that a
reviewed service has matched since.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowscan.cli.main import cli
from shadowscan.match.catalogue import load_catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.ruleexport import select
from shadowscan.ruleexport.squid_acl import url_prefix_regex
from tests.rulekit import rules_dir

SHARED = "api.saas-tool.example"
AGENT_FILE = f"""name = "Saas tool MCP"
vendor = "Saas"
category = "agent-protocol"
homepage = "https://saas-tool.example"

[[paths]]
host = "{SHARED}"
prefix = "/mcp"
signal = "api"

[[paths]]
host = "{SHARED}"
prefix = "/sse"
signal = "api"

[[paths]]
host = "{SHARED}"
prefix = "/.well-known/agent.json"
signal = "api"

[[paths]]
host = "{SHARED}"
prefix = "/.well-known/agent-card.json"
signal = "api"

[tests]
match = [{{ input = "https://{SHARED}/mcp", signal = "api" }}]
no_match = ["https://{SHARED}/mcpx"]
"""


@pytest.fixture(scope="module")
def matcher(tmp_path_factory) -> HostMatcher:
    local = rules_dir(tmp_path_factory.mktemp("agent"), {"saas-mcp.toml": AGENT_FILE})
    catalogue = load_catalogue(extra=[local])
    assert catalogue.services["saas-mcp"].category == "agent-protocol"
    assert "agent-protocol" in catalogue.categories
    return HostMatcher(catalogue)


@pytest.mark.parametrize(
    "url",
    [
        "/mcp",
        "/mcp/",
        "/mcp?session=1",
        "/sse",
        "/sse/stream",
        "/.well-known/agent.json",
        "/.well-known/agent.json?v=1",
        "/.well-known/agent-card.json",
    ],
)
def test_agent_endpoints_match_on_the_shared_host(matcher: HostMatcher, url: str) -> None:
    hit = matcher.match_one(f"https://{SHARED}{url}")
    assert hit is not None and (hit.service_id, hit.signal) == ("saas-mcp", "api")
    assert hit.rule.startswith(f"path:{SHARED}/")


@pytest.mark.parametrize(
    "url",
    [
        SHARED,  # a DNS or TLS event has no path
        f"https://{SHARED}/",
        f"https://{SHARED}/mcpx",
        f"https://{SHARED}/ssegment",
        f"https://{SHARED}/.well-known/agentXjson",
        f"https://{SHARED}/.well-known/agent.jsonp",
        f"https://{SHARED}/api/mcp",
        "https://other.saas-tool.example/mcp",
    ],
)
def test_other_paths_and_hosts_do_not_match(matcher: HostMatcher, url: str) -> None:
    assert matcher.match_one(url) is None


def test_squid_export_escapes_the_dots_of_well_known_paths(matcher: HostMatcher) -> None:
    regex = url_prefix_regex("/.well-known/agent.json")
    assert re.search(regex, "/.well-known/agent.json?x")
    assert not re.search(regex, "/.well-known/agentXjson")
    selection = select(matcher.catalogue, services=("saas-mcp",))
    assert len(selection.paths) == 4


CANDIDATE = """review = true
source = "https://lists.example/ai.txt"
name = "newtool.ai"
vendor = "unknown"
category = "chat"
homepage = "https://newtool.ai"

[[hosts]]
pattern = "newtool.ai"
match = "suffix"
signal = "ui"
source = "ai.txt:3"

[tests]
match = [{ input = "newtool.ai", signal = "ui" }]
no_match = ["not-newtool.ai"]
"""


def test_a_candidate_awaiting_review_is_never_matched(tmp_path: Path) -> None:
    local = rules_dir(tmp_path / "review", {"newtool-ai.toml": CANDIDATE})
    catalogue = load_catalogue(extra=[local])
    assert "newtool-ai" not in catalogue.services
    assert catalogue.awaiting_review["newtool-ai"].provenance == "https://lists.example/ai.txt"
    assert HostMatcher(catalogue).match_one("app.newtool.ai") is None
    (local / "newtool-ai.toml").write_text(CANDIDATE.replace("review = true\n", ""))
    hit = HostMatcher(load_catalogue(extra=[local])).match_one("app.newtool.ai")
    assert hit is not None and hit.service_id == "newtool-ai"


def test_rules_check_lists_candidates_awaiting_review(tmp_path: Path) -> None:
    local = rules_dir(tmp_path / "review", {"newtool-ai.toml": CANDIDATE})
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", str(local)])
    assert result.exit_code == 0, result.output
    assert f"review: {local}/newtool-ai.toml: 1 rule(s) awaiting review" in result.output
    assert "1 candidate(s) awaiting review." in result.output


def test_a_review_mark_must_be_a_boolean(tmp_path: Path) -> None:
    local = rules_dir(
        tmp_path / "review", {"newtool-ai.toml": CANDIDATE.replace("true", '"yes"', 1)}
    )
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", str(local)])
    assert result.exit_code == 1
    assert f"{local}/newtool-ai.toml:1: review must be true or false" in result.output


def test_a_candidate_host_the_catalogue_now_matches_is_flagged(tmp_path: Path) -> None:
    stale = CANDIDATE.replace('pattern = "newtool.ai"', 'pattern = "chatgpt.com"')
    local = rules_dir(tmp_path / "review", {"newtool-ai.toml": stale})
    result = CliRunner().invoke(cli, ["rules", "check", "--rules", str(local)])
    assert result.exit_code == 1
    assert (
        f"lint: {local}/newtool-ai.toml:8: host 'chatgpt.com' awaiting review is already "
        "chatgpt's: drop it"
    ) in result.output
