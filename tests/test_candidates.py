"""`discover`: candidate AI hosts with reasons, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from shadowscan.cli.main import cli

T0 = 1_794_999_960  # a whole minute, so each line's minute is its `minute` argument


def _line(minute: int, second: int, user: str, method: str, url: str) -> str:
    host = url.split("/")[2]
    return (
        f"{T0 + minute * 60 + second}.000 120 10.0.0.{len(user)} TCP_MISS/200 900 {method} "
        f"{url} {user} HIER_DIRECT/{host} text/html"
    )


def _org_log() -> str:
    lines = []
    for person in ("alice", "bob", "carol", "dave"):
        lines += [
            _line(m, 1, person, "GET", "https://www.google.com/search") for m in range(0, 61, 5)
        ]
    for person in ("alice", "bob"):  # AI users: ChatGPT, and a widget only seen with it
        for m in (0, 10, 20, 30):
            lines.append(
                _line(m, 2, person, "POST", "https://chatgpt.com/backend-api/conversation")
            )
            lines.append(_line(m, 3, person, "GET", "https://cdn.newai-widget.example/w.js"))
    lines.append(
        _line(7, 0, "carol", "POST", "https://llm.gw.internal.example/v1/chat/completions")
    )
    lines.append(_line(8, 0, "carol", "GET", "https://newtool.ai/app"))
    lines.append(_line(9, 0, "dave", "GET", "https://newtool.ai/app"))
    lines.append(_line(9, 5, "dave", "GET", "https://onlyonce.ai/"))
    lines.append(_line(9, 9, "dave", "GET", "https://fakeclaude.ai/[bold]x[/bold]"))
    return "\n".join(lines) + "\n"


def _discover(tmp_path: Path, *extra: str) -> dict:
    log = tmp_path / "access.log"
    log.write_text(_org_log())
    runner = CliRunner()
    store = str(tmp_path / "store")
    assert runner.invoke(cli, ["ingest", "-q", "--store", store, str(log)]).exit_code == 0
    result = runner.invoke(cli, ["discover", "--store", store, "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_discover_ranks_leads_with_their_reasons(tmp_path: Path) -> None:
    doc = _discover(tmp_path)
    assert doc["schema"] == "shadowscan.candidates/1"
    found = {c["host"]: c for c in doc["candidates"]}
    assert list(found) == ["llm.gw.internal.example", "cdn.newai-widget.example", "newtool.ai"]
    api = found["llm.gw.internal.example"]
    assert api["score"] == 3 and api["example_path"] == "/v1/chat/completions"
    assert api["reasons"] == ["api-shape: 1 model-API requests, e.g. /v1/chat/completions"]
    widget = found["cdn.newai-widget.example"]
    assert widget["reasons"] == ["co-visited: 100% of its minutes are AI minutes, for 2 identities"]
    assert found["newtool.ai"]["reasons"] == [
        "ai-name: newtool.ai looks like an AI service, used by 2 identities"
    ]


def test_known_services_and_everyday_hosts_are_never_candidates(tmp_path: Path) -> None:
    doc = _discover(tmp_path, "--min-identities", "1")
    hosts = {c["host"] for c in doc["candidates"]}
    assert not hosts & {"chatgpt.com", "www.google.com"}
    assert {"onlyonce.ai", "fakeclaude.ai"} <= hosts  # one identity is enough when asked


def test_terminal_output_escapes_hostile_paths(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text(_org_log())
    runner = CliRunner()
    store = str(tmp_path / "store")
    runner.invoke(cli, ["ingest", "-q", "--store", store, str(log)])
    args = ["discover", "--store", store, "--min-identities", "1"]
    result = runner.invoke(cli, args, env={"COLUMNS": "250"})
    assert "not counted as use" in result.output.replace("\n", " ")
    assert "/[bold]x[/bold]" in result.output  # Rich markup shown, not applied
