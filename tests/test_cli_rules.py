"""`shadowscan rules …` and `--rules` through the real commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from shadowscan.cli.main import cli
from tests.rulekit import rules_dir, service_toml

GATEWAY = service_toml("ai.corp.example", name="Acme AI gateway", signal="api")


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _exe() -> str:
    return str(Path(sys.executable).with_name("shadowscan"))


def test_list_json_has_every_service_with_its_facts() -> None:
    doc = json.loads(invoke("rules", "list", "--format", "json").output)
    assert len(doc) >= 200
    chatgpt = next(s for s in doc if s["id"] == "chatgpt")
    assert chatgpt["facts"]["tenant_header"]["value"] == "ChatGPT-Allowed-Workspace-Id"
    assert {"pattern": "chatgpt.com", "match": "suffix", "signal": "ui", "plan": "unknown"} in (
        chatgpt["hosts"]
    )
    coding = json.loads(invoke("rules", "list", "--category", "coding", "--format", "json").output)
    assert coding and {s["category"] for s in coding} == {"coding"}


def test_list_terminal_and_an_unknown_category() -> None:
    result = invoke("rules", "list", "--category", "chat")
    assert result.exit_code == 0 and "chatgpt" in result.output
    proc = subprocess.run(
        [_exe(), "rules", "list", "--category", "nope"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "unknown category 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_explain_json_names_the_rule_and_its_file() -> None:
    result = invoke("rules", "explain", "--format", "json", "x.business.githubcopilot.com")
    [answer] = json.loads(result.output)
    assert answer["match"]["service_id"] == "github-copilot"
    assert answer["match"]["plan"] == "business"
    assert "github-copilot.toml:" in answer["match"]["where"]


def test_explain_terminal_prints_hostile_input_literally() -> None:
    result = invoke("rules", "explain", "[bold red]x\x1b[2J.chatgpt.com")
    assert "[bold red]x\\x1b[2J.chatgpt.com" in result.output


def test_check_and_test_pass_on_the_bundled_catalogue() -> None:
    check = invoke("rules", "check")
    assert check.exit_code == 0 and "no problems" in check.output
    test = invoke("rules", "test")
    assert test.exit_code == 0 and "all pass" in test.output


def test_check_and_test_fail_on_a_bad_local_folder(tmp_path: Path) -> None:
    wrong = GATEWAY.replace('signal = "api" }', 'signal = "ui" }')
    local = rules_dir(tmp_path, {"gateway.toml": wrong, "twice.toml": service_toml("claude.ai")})
    check = subprocess.run(
        [_exe(), "rules", "check", "--rules", local], capture_output=True, text=True
    )
    assert check.returncode == 1
    assert f"{local}/twice.toml:6: host 'claude.ai' is claimed by" in check.stdout
    assert "2 problem(s)" in check.stderr
    test = subprocess.run(
        [_exe(), "rules", "test", "--rules", local], capture_output=True, text=True
    )
    assert test.returncode == 1
    assert "FAIL gateway: ai.corp.example: expected gateway ui, got gateway api" in test.stdout


def test_export_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "ai.hosts"
    result = invoke("rules", "export", "--format", "hosts", "--category", "coding", "-o", out)
    assert result.exit_code == 0 and result.output == ""
    assert "0.0.0.0 api.githubcopilot.com" in out.read_text()
    unknown = subprocess.run(
        [_exe(), "rules", "export", "--format", "hosts", "--service", "x"],
        capture_output=True,
        text=True,
    )
    assert unknown.returncode == 1 and "no service 'x'" in unknown.stderr


def test_a_local_rule_is_seen_in_the_next_report_without_reingesting(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        "1795077362.000 274 10.0.0.7 TCP_MISS/200 2211 POST http://ai.corp.example/v1/chat "
        "alice HIER_DIRECT/ai.corp.example text/html\n"
        "1795077363.000 274 10.0.0.7 TCP_MISS/200 2211 POST http://claude.ai/api "
        "alice HIER_DIRECT/claude.ai text/html\n"
    )
    store = tmp_path / "store"
    assert invoke("ingest", "-q", "--store", store, log).exit_code == 0
    before = json.loads(invoke("report", "--store", store, "--format", "json").output)
    assert {s["service_id"] for s in before["services"]} == {"claude"}
    local = rules_dir(tmp_path / "rules", {"acme-gateway.toml": GATEWAY})
    after = invoke("report", "--store", store, "--format", "json", "--rules", local)
    assert {s["service_id"] for s in json.loads(after.output)["services"]} == {
        "claude",
        "acme-gateway",
    }
