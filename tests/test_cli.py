"""The commands end to end, through click and through the installed `shadowscan`."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from shadowscan.cli.main import cli

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"

#: What the demo organisation's logs say, person by person (see fixtures/make_demo.py).
DEMO_USE = {
    "alice": ["chatgpt", "claude"],
    "bob": ["gemini", "perplexity"],
    "carol": ["deepseek"],
    "dave": ["microsoft-copilot"],
    "frank": ["chatgpt"],
    "grace": ["mistral"],
    "10.20.1.50": ["grok"],
    "10.20.2.30": ["claude"],
    "10.20.2.31": ["mistral"],
    "10.20.2.32": ["gemini"],
    "10.20.2.33": ["microsoft-copilot"],
    "10.20.2.35": ["claude"],
}


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("demo") / "store"
    result = invoke("ingest", "--store", store, DEMO)
    assert result.exit_code == 0, result.output
    return store


def test_ingest_prints_a_summary(tmp_path):
    result = invoke("ingest", "--store", tmp_path / "s", DEMO)
    assert result.exit_code == 0
    assert "5 read, 0 unchanged, 0 skipped" in result.output
    assert "rejected" in result.output and "lines/s" in result.output


def test_report_json_gives_each_service_and_its_users(demo_store):
    result = invoke("report", "--store", demo_store, "--format", "json")
    doc = json.loads(result.output)
    assert doc["schema"] == "shadowscan.report/1"
    assert doc["period"] == {
        "start": "2026-10-21T10:32:01.000000Z",
        "end": "2026-11-20T10:32:01.000000Z",
    }
    assert doc["ingest"] == {"files": 5, "lines": 48, "events": 30, "rejected": 2}
    users = {s["service_id"]: s["users"] for s in doc["services"]}
    expected: dict[str, int] = {}
    for services in DEMO_USE.values():
        for service in services:
            expected[service] = expected.get(service, 0) + 1
    assert users == expected
    chatgpt = next(s for s in doc["services"] if s["service_id"] == "chatgpt")
    assert chatgpt["events"] == 5  # four by alice and frank's use, plus frank's static asset
    assert chatgpt["bytes_out"] is None  # Squid does not log upload sizes
    assert {i["identity"]: i["services"] for i in doc["identities"]} == DEMO_USE


def test_lookalike_hosts_are_not_ai(demo_store):
    result = invoke("export", "--store", demo_store, "--format", "jsonl")
    hosts = {json.loads(line)["host"] for line in result.output.splitlines()}
    assert not hosts & {"chatgpt.com.evil.example", "fakeclaude.ai", "x.com", "www.google.com"}
    assert "www.bing.com" in hosts  # only its /chat request


def test_export_jsonl_has_the_contract_columns(demo_store):
    result = invoke("export", "--store", demo_store, "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 21
    first = rows[0]
    for key in (
        "ts",
        "identity",
        "user",
        "client_ip",
        "host",
        "service_id",
        "service_name",
        "category",
        "source_format",
        "source_file",
        "source_line",
        "bytes_out",
        "bytes_in",
        "method",
        "url_path",
    ):
        assert key in first
    assert first["ts"].endswith("Z")
    anon = [r for r in rows if (r["url_path"] or "").startswith("/backend-anon/")]
    assert [(r["identity"], r["plan"]) for r in anon] == [("frank", "personal")]
    bing = [r for r in rows if r["host"] == "www.bing.com"]
    assert {r["url_path"] for r in bing} == {"/chat?form=NTPCHB", "/chat?q=hello"}


def test_export_csv_and_parquet(demo_store, tmp_path):
    result = invoke("export", "--store", demo_store, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 21
    out = tmp_path / "ai.parquet"
    assert invoke("export", "--store", demo_store, "--format", "parquet", "-o", out).exit_code == 0
    import polars as pl

    assert pl.read_parquet(out).height == 21
    refused = invoke("export", "--store", demo_store, "--format", "parquet")
    assert refused.exit_code == 1 and "-o" in refused.output


def test_terminal_report_shows_services_and_health(demo_store):
    result = invoke("report", "--store", demo_store)
    assert result.exit_code == 0
    for text in ("ChatGPT", "Claude", "Top shadow identities", "alice", "2 rejected line(s)"):
        assert text in result.output


def test_mixed_gzip_and_plain_squid_and_zeek(tmp_path):
    logs = tmp_path / "logs"
    shutil.copytree(DEMO, logs)
    plain = logs / "proxy" / "access.log"
    # a compressed copy of the same log: the same source, read once
    (logs / "proxy" / "access.log.2.gz").write_bytes(gzip.compress(plain.read_bytes()))
    store = tmp_path / "store"
    assert invoke("ingest", "--store", store, logs).exit_code == 0
    doc = json.loads(invoke("report", "--store", store, "--format", "json").output)
    assert doc["ingest"]["files"] == 5
    alice = next(i for i in doc["identities"] if i["identity"] == "alice")
    assert alice["events"] == 2 + 2  # two days in the old rotation, two in access.log


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "/nonexistent/logs"), "no such file or folder"),
        (("report", "--store", "/nonexistent/store"), "no shadowscan store"),
        (("report", "--store", "{store}", "--since", "last tuesday"), "cannot read the time"),
        (("ingest", "--timezone", "Mars/Olympus", "{store}"), "unknown time zone"),
    ],
)
def test_user_errors_are_one_sentence_and_exit_1(args, message, demo_store):
    args = [a.format(store=demo_store) for a in args]
    proc = subprocess.run([_exe(), *args], capture_output=True, text=True)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_files_are_skipped_with_a_reason(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "notes.txt").write_text("hello\nworld\n")
    shutil.copy(DEMO / "proxy" / "access.log", logs)
    proc = subprocess.run(
        [_exe(), "ingest", "--store", tmp_path / "s", logs], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert (
        "skipped" in proc.stderr and "notes.txt" in proc.stderr and "unknown format" in proc.stderr
    )
    alone = subprocess.run(
        [_exe(), "ingest", "--store", tmp_path / "t", logs / "notes.txt"],
        capture_output=True,
        text=True,
    )
    assert alone.returncode == 1 and "nothing was ingested" in alone.stderr


def test_hostile_log_text_is_shown_literally(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(
        "1795068000.101    912 10.30.0.21 TCP_TUNNEL/200 48213 CONNECT chatgpt.com:443 "
        "[bold]x\x1b[31m\x07[/bold] HIER_DIRECT/1.2.3.4 -\n"
        "1795068001.101    912 10.30.0.22 TCP_TUNNEL/200 1 CONNECT claude.ai:443 "
        "=HYPERLINK(1) HIER_DIRECT/1.2.3.4 -\n"
    )
    store = tmp_path / "s"
    assert invoke("ingest", "--store", store, log).exit_code == 0
    shown = invoke("report", "--store", store).output
    assert "\x1b[31m" not in shown and "\x07" not in shown
    assert "[bold]x\\x1b[31m\\x07[/bold]" in shown
    rows = list(
        csv.DictReader(io.StringIO(invoke("export", "--store", store, "--format", "csv").output))
    )
    assert {r["identity"] for r in rows} == {"[bold]x\x1b[31m\x07[/bold]", "'=hyperlink(1)"}


def test_every_command_has_help():
    for command in cli.list_commands(click.Context(cli)):
        assert invoke(command, "--help").exit_code == 0


def _exe() -> str:
    return str(Path(sys.executable).with_name("shadowscan"))


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux script for a TTY")
@pytest.mark.parametrize("quiet", [False, True])
def test_progress_bar_only_on_a_terminal_and_not_with_quiet(tmp_path, quiet):
    command = f"{_exe()} ingest {'--quiet ' if quiet else ''}--store {tmp_path / 's'} {DEMO}"
    tty = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True)
    assert tty.returncode == 0
    assert ("━".encode() in tty.stdout) is not quiet
    piped = subprocess.run([_exe(), "ingest", "--store", tmp_path / "p", DEMO], capture_output=True)
    assert "━".encode() not in piped.stdout + piped.stderr


def test_a_parser_failure_rejects_its_chunk_and_the_run_goes_on(tmp_path, monkeypatch):
    from shadowscan.formats import FORMATS

    def broken(chunk, ctx):
        raise ValueError("boom")

    monkeypatch.setattr(FORMATS["zeek-json"], "parse", broken)
    store = tmp_path / "s"
    invoke("ingest", "--store", store, DEMO / "proxy")
    result = invoke("ingest", "--store", store, "--log-format", "zeek-json", DEMO / "zeek")
    assert result.exit_code == 0
    assert "the zeek-json parser failed on lines 1-2" in " ".join(result.output.split())
    doc = json.loads(invoke("report", "--store", store, "--format", "json").output)
    # the proxy's 2 bad lines, then every line the broken parser was given: all of
    # http.log (2), dns.log (12) and ssl.log (11), their header lines included
    assert doc["ingest"]["rejected"] == 2 + 2 + 12 + 11


def test_version_imports_no_parser_store_or_report():
    """`shadowscan --version` and `--help` start without Polars' parsers, Delta or pyarrow."""
    code = (
        "import sys; from shadowscan.cli.main import cli; "
        "heavy = [m for m in ('polars', 'deltalake', 'pyarrow', 'shadowscan.formats.squid') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_rules_explain_loads_no_suffix_list_parser_or_store():
    """`rules explain` needs a host's spelling, not its registered domain: tldextract (and
    the requests it imports), the parsers and Delta stay unloaded."""
    code = (
        "import sys; from shadowscan.cli.main import main; sys.argv = ['shadowscan', 'rules', "
        "'explain', 'https://ChatGPT.com:443/x']\ntry: main()\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('tldextract', 'deltalake', 'shadowscan.formats.squid') "
        "if m in sys.modules]; print(heavy, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "host chatgpt.com" in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "[]"
