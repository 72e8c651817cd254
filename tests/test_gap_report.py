"""The gap report on the fixture organisation, whose right answer is known.

`fixtures/org/` (written by fixtures/make_org.py) is Acme: a directory of 24,
seat lists, DHCP leases, and proxy, DNS and Zeek HTTP logs designed so that
`expected.json` could be worked out by hand. Every headline number and
breakdown must equal it, through the real commands.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowscan.cli.main import cli

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "org"
EXPECTED = json.loads((ORG / "expected.json").read_text())
PERIOD = ["--since", "2026-11-02", "--until", "2026-11-29T23:59:59Z"]
KEY = "correct horse battery staple 42"


def invoke(*args: object, env: dict | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture
def store(org_store) -> Path:
    return org_store


def _report(store: Path, *args: object, config: Path = ORG / "shadowscan.toml") -> dict:
    result = invoke(
        "report", "--store", store, "--config", config, "--format", "json", *PERIOD, *args
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_headline_equals_the_known_answer(store):
    head = _report(store)["headline"]
    assert {k: head[k] for k in EXPECTED["headline"]} == EXPECTED["headline"]
    assert head["shadow_upload_bytes"] == EXPECTED["shadow_upload_bytes"]
    assert head["unattributed_identities"] == len(EXPECTED["unattributed_identities"])
    assert head["sentence"] == (
        "10 of the 17 people who used AI (58.8%) used it outside what Acme pays for, "
        "while 62.5% of its people hold a paid AI seat they could use instead."
    )
    parts = head["shadow_users"] + head["other_ai_users"] + head["no_ai_use"]
    assert parts == head["population"]


def test_every_breakdown_equals_the_known_answer(store):
    doc = _report(store)
    services = {
        s["service_id"]: {k: s[k] for k in ("users", "shadow_users", "events", "sanctioned")}
        for s in doc["services"]
    }
    assert services == EXPECTED["services"]
    departments = {
        d["department"]: {
            k: d[k] for k in ("population", "ai_users", "shadow_users", "sanctioned_coverage_pct")
        }
        for d in doc["departments"]
        if d["population"] is not None
    }
    assert departments == EXPECTED["departments"]
    contractor = next(d for d in doc["departments"] if d["population"] is None)
    assert (contractor["department"], contractor["ai_users"]) == ("(not in directory)", 1)
    assert sorted(i["identity"] for i in doc["shadow_identities"]) == EXPECTED["shadow_identities"]
    assert sorted(s["service_id"] for s in doc["new_services"]) == EXPECTED["new_services"]
    assert sum(s["unused_seats"] for s in doc["seats"]) == EXPECTED["headline"]["unused_seats"]
    idle = sum(s["idle_holders"] for s in doc["seats"])
    assert idle == EXPECTED["headline"]["idle_grant_holders"]
    weekly = doc["trend"]["weekly"]
    assert sum(w["events"] for w in weekly) == sum(
        1 for _ in _use_events(store)
    )  # every use event falls in exactly one week


def _use_events(store: Path):
    result = invoke(
        "export",
        "--store",
        store,
        "--config",
        ORG / "shadowscan.toml",
        "--format",
        "jsonl",
        *PERIOD,
    )
    for line in result.output.splitlines():
        event = json.loads(line)
        if event["signal"] in ("ui", "api", "auth"):
            yield event


def test_export_carries_each_events_classification_and_reason(store):
    events = list(_use_events(store))
    by_class = {}
    for e in events:
        by_class.setdefault(e["classification"], set()).add(e["identity"])
    assert sorted(by_class["unattributed"]) == EXPECTED["unattributed_identities"]
    assert sorted(by_class["shadow"]) == EXPECTED["shadow_identities"]
    bob = [e for e in events if e["identity"] == "bob" and e["classification"] == "shadow"]
    assert any(e["reason"].startswith("personal-plan evidence") for e in bob)
    assert {e["sanctioned"] for e in events if e["service_id"] == "claude"} == {False}


def test_a_bundled_grant_covers_nobody_coverage_is_as_without_it(store, tmp_path):
    text = (ORG / "shadowscan.toml").read_text()
    text = re.sub(
        r"\[\[sanctioned\]\][^\[]*?service = \"microsoft-copilot\".*?bundled = true\n",
        "",
        text,
        flags=re.S,
    )
    config = tmp_path / "shadowscan.toml"
    config.write_text(
        text.replace('"directory.csv"', f'"{ORG}/directory.csv"')
        .replace('"dhcp.csv"', f'"{ORG}/dhcp.csv"')
        .replace('"seats/', f'"{ORG}/seats/')
    )
    head = _report(store, config=config)["headline"]
    # ChatGPT seats: 8 in the directory; Copilot adds carol, dan, eve, farid; Legal (DeepL)
    # adds victor, wendy, xena: 15 of 24
    assert head["sanctioned_coverage_pct"] == 62.5


def test_without_a_policy_everyone_is_shadow_and_the_report_says_so(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(
        "report", "--store", store, "--format", "json", *PERIOD, env={"SHADOWSCAN_CONFIG": ""}
    )
    head = json.loads(result.output)["headline"]
    # no policy, so no leases either: DNS addresses stay addresses, one identity each
    assert head["shadow_users"] == head["ai_users"] > EXPECTED["headline"]["ai_users"]
    assert head["sentence"].startswith("No policy file, so nothing is sanctioned")


def test_every_format_renders_and_csv_writes_one_file_per_table(store, tmp_path):
    terminal = invoke(*_report_args(store, "terminal"), env={"COLUMNS": "160"})
    assert "10 of the 17 people who used AI (58.8%)" in terminal.output
    assert "By department" in terminal.output and "Sanctioned grants" in terminal.output
    markdown = invoke(*_report_args(store, "markdown")).output
    assert markdown.startswith("# shadowscan report: Acme") and "| chatgpt |" in markdown
    folder = tmp_path / "csv"
    invoke(*_report_args(store, "csv"), "-o", folder)
    names = sorted(p.stem for p in folder.glob("*.csv"))
    assert {"headline", "services", "departments", "seats", "daily", "weekly"} <= set(names)
    with open(folder / "services.csv") as f:
        rows = {r["service_id"]: r for r in csv.DictReader(f)}
    assert rows["claude"]["shadow_users"] == "3"


def test_fail_on_exits_3_only_when_a_condition_holds(store):
    base = _report_args(store)
    assert invoke(*base, "--fail-on", "shadow-pct>50").exit_code == 0  # 41.7
    held = invoke(*base, "--fail-on", "shadow-pct>41", "--fail-on", "upload-mb>100")
    assert held.exit_code == 3
    assert "fail-on: shadow-pct is 41.7, > 41" in held.output
    quiet = invoke(*base, "--fail-on", "shadow-pct>41", "--fail-on", "new-service", "-q")
    assert "fail-on: shadow-pct is 41.7, > 41; new-service: github-copilot, deepl" in quiet.output
    assert invoke(*base, "--fail-on", "new-service").exit_code == 3
    proc = subprocess.run(
        [_exe(), *map(str, base), "--fail-on", "shadow>5"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "cannot read the condition 'shadow>5'" in proc.stderr


def _report_args(store: Path, fmt: str = "json") -> list:
    """`report` over the fixture organisation, its policy and period, in `fmt`."""
    return [
        "report",
        "--store",
        store,
        "--config",
        ORG / "shadowscan.toml",
        *PERIOD,
        "--format",
        fmt,
    ]


def _exe() -> str:
    return str(Path(sys.executable).with_name("shadowscan"))


def test_output_is_atomic_and_never_inside_the_store(store, tmp_path):
    out = tmp_path / "weekly.json"
    base = _report_args(store)
    assert invoke(*base, "-o", out).exit_code == 0
    assert json.loads(out.read_text())["headline"]["ai_users"] == 17
    assert [p.name for p in tmp_path.iterdir()] == ["weekly.json"]  # no temporary left
    proc = subprocess.run(
        [_exe(), *map(str, base), "-o", store / "events" / "x.json"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "is inside the store" in proc.stderr


RAW = ["alice", "bob", "carol", "ext-zed", "10.30.7.40", "ACME", "acme.example"]


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal", "csv", "html"])
def test_pseudonymized_reports_contain_no_raw_identity(store, tmp_path, fmt):
    out = tmp_path / "out"
    result = invoke(
        *_report_args(store, fmt),
        "-o",
        out,
        "--pseudonymize",
        env={"SHADOWSCAN_PSEUDONYM_KEY": KEY},
    )
    assert result.exit_code == 0, result.output
    text = "".join(p.read_text() for p in out.glob("*.csv")) if fmt == "csv" else out.read_text()
    for raw in RAW:
        assert not re.search(rf"\b{re.escape(raw)}\b", text), raw
    assert re.search(r"\bp-[0-9a-f]{16}\b", text)


def test_reveal_maps_a_pseudonym_back_with_the_key(store, tmp_path):
    key = tmp_path / "key"
    key.write_text(KEY)
    doc = _report(store, "--pseudonymize", "--key-file", key)
    first = doc["shadow_identities"][0]["identity"]
    revealed = invoke("reveal", first, "--store", store, "--key-file", key)
    assert revealed.exit_code == 0
    assert revealed.output.strip().split("\t")[1] in EXPECTED["shadow_identities"]
    wrong = tmp_path / "wrong"
    wrong.write_text("another key of sufficient length")
    proc = subprocess.run(
        [_exe(), "reveal", first, "--store", str(store), "--key-file", wrong],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "match no identity" in proc.stderr


def test_a_short_or_missing_key_is_refused(store):
    env = {**os.environ, "SHADOWSCAN_PSEUDONYM_KEY": "short"}
    proc = subprocess.run(
        [_exe(), "report", "--store", str(store), "--pseudonymize"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1 and "at least 16 bytes" in proc.stderr


def test_explain_identity_gives_reasons_and_evidence_lines(store):
    result = invoke(
        "explain",
        "ACME\\bob",
        "--store",
        store,
        "--config",
        ORG / "shadowscan.toml",
        *PERIOD,
        "--format",
        "json",
    )
    doc = json.loads(result.output)
    assert doc["identity"] == "bob"
    classes = {(s["service_id"], s["classification"]) for s in doc["services"]}
    assert ("chatgpt", "shadow") in classes and ("chatgpt", "sanctioned") in classes
    evidence = doc["evidence"][0]
    assert evidence["source_file"].endswith(".log") and evidence["source_line"] >= 1
    nobody = invoke("explain", "nobody", "--store", store, *PERIOD)
    assert nobody.exit_code == 1


def test_the_html_gap_bar_shows_the_json_headline(store, tmp_path):
    head = _report(store)["headline"]
    page = tmp_path / "gap.html"
    assert invoke(*_report_args(store, "html"), "-o", page).exit_code == 0
    gauge = re.search(r'<svg class="chart-gauge".*?</svg>', page.read_text(), re.S)[0]
    for text in (
        f"Shadow AI users: {head['shadow_users']} ({head['shadow_users_pct']}%)",
        f"Other AI users (sanctioned use only): {head['other_ai_users']}",
        f"No AI use seen: {head['no_ai_use']}",
    ):
        assert text in gauge
    assert head["no_ai_use"] == 7  # 24 people, 17 of them AI users
