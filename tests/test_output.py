"""Output that survives cron, pipes and 80-column terminals: nothing cut, files readable."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadowscan.cli.main import cli

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "org"
REPORT = [
    "--config", str(ORG / "shadowscan.toml"),
    "--since", "2026-11-02", "--until", "2026-11-29T23:59:59Z",
]  # fmt: skip
KEY = "correct horse battery staple 42"
EXE = str(Path(sys.executable).with_name("shadowscan"))


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, env=env)


@pytest.fixture
def store(org_store) -> Path:
    return org_store


def test_an_80_column_report_drops_columns_rather_than_cut_names_or_dates(store):
    doc = json.loads(invoke("report", "--store", store, *REPORT, "--format", "json").stdout)
    text = invoke("report", "--store", store, *REPORT, env={"COLUMNS": "80"}).stdout
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for service in doc["services"]:
        assert service["last_seen"][:10] in text  # every date whole
    for word in ("ChatGPT", "Perplexity", "DeepSeek", "github-copilot", "microsoft-copilot"):
        assert word in text


def test_pseudonyms_are_never_cut(store):
    env = {"COLUMNS": "60", "SHADOWSCAN_PSEUDONYM_KEY": KEY}
    args = ("report", "--store", store, *REPORT, "--pseudonymize")
    doc = json.loads(invoke(*args, "--format", "json", env=env).stdout)
    text = invoke(*args, env=env).stdout
    shown = set(re.findall(r"p-[0-9a-f]+", text))
    assert shown and all(len(p) == 18 for p in shown)
    named = doc["shadow_identities"] + doc["champions"]  # the identities the terminal shows
    assert {i["identity"] for i in named} == shown


def test_outside_a_terminal_rejected_lines_keep_their_whole_path_and_text(tmp_path):
    folder = tmp_path / ("logs-folder-name-long-enough-to-pass-eighty-columns-" + "x" * 40)
    folder.mkdir()
    good = ORG / "logs" / "proxy" / "access.log"
    bad = "this line is no squid line but it is long enough to be cut at eighty columns: END"
    (folder / "access.log").write_text(good.read_text() + bad + "\n")
    done = subprocess.run(
        [EXE, "ingest", "--store", str(tmp_path / "s"), str(folder)],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stderr.splitlines() if x.startswith("rejected in"))
    assert str(folder / "access.log") in line and line.endswith("END")


@pytest.mark.parametrize(("flags", "mode"), [((), 0o644), (("--private",), 0o600)])
def test_report_files_get_the_usual_mode_or_owner_only(store, tmp_path, flags, mode):
    old = os.umask(0o022)
    try:
        for fmt, name in (("html", "r.html"), ("json", "r.json"), ("csv", "tables")):
            out = tmp_path / name
            args = ("report", "--store", store, *REPORT, "--format", fmt, "-o", out, *flags)
            assert invoke(*args).exit_code == 0
            files = sorted(out.iterdir()) if out.is_dir() else [out]
            assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {mode}
        out = tmp_path / "events.csv"
        assert (
            invoke("export", "--store", store, "--format", "csv", "-o", out, *flags).exit_code == 0
        )
        assert stat.S_IMODE(out.stat().st_mode) == mode
    finally:
        os.umask(old)


def test_dash_is_stdout_for_every_output_option(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = invoke("report", "--store", store, *REPORT, "--format", "json", "-o", "-")
    assert json.loads(report.output)["headline"]
    export = invoke("export", "--store", store, "--format", "jsonl", "-o", "-")
    assert export.output.count("\n") > 1
    assert invoke("rules", "export", "--format", "hosts", "-o", "-").output.startswith("#")
    assert not (tmp_path / "-").exists()
    parquet = invoke("export", "--store", store, "--format", "parquet", "-o", "-")
    assert parquet.exit_code == 1 and "give a file with -o" in parquet.output


@pytest.mark.parametrize(
    "command",
    [
        ("report", "--format", "json"),
        ("report", "--format", "terminal"),
        ("export", "--format", "jsonl"),
        ("discover", "--format", "json"),
        ("discover", "--format", "terminal"),
        ("rules", "coverage", "--format", "json"),
    ],
    ids=" ".join,
)
def test_no_output_lands_in_the_store_or_over_the_policy(store, tmp_path, command):
    org = shutil.copytree(ORG, tmp_path / "org", ignore=shutil.ignore_patterns("logs"))
    policy = org / "shadowscan.toml"
    for target in (policy, org / "directory.csv", store / "report.json"):
        before = target.read_bytes() if target.exists() else None
        done = invoke(*command, "--store", store, "--config", policy, "-o", target)
        assert done.exit_code == 1, done.output
        assert "is an input" in done.output or "inside the store" in done.output
        assert (target.read_bytes() if target.exists() else None) == before
