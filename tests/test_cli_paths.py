"""What a first run on real folders meets: bad paths, mixed files, options on every command."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from shadowscan.cli.boundary import Exit, run
from shadowscan.cli.main import cli
from shadowscan.ingest.detect import detect
from shadowscan.report import format_list

ORG = Path(__file__).resolve().parents[1] / "fixtures" / "org"
EXE = str(Path(sys.executable).with_name("shadowscan"))
SQUID = (
    "1795068000.101    912 10.30.0.21 TCP_TUNNEL/200 48213 CONNECT chatgpt.com:443 alice "
    "HIER_DIRECT/104.18.32.47 -"
)
SURICATA = json.dumps(
    {"timestamp": "2026-11-16T09:00:00.000000+0000", "event_type": "dns", "src_ip": "10.0.0.5",
     "dest_ip": "10.0.0.53", "dns": {"type": "query", "rrname": "claude.ai", "rrtype": "A"}}
)  # fmt: skip


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_a_missing_path_among_good_ones_is_skipped_and_the_run_exits_4(tmp_path):
    missing = tmp_path / "no-such-folder"
    result = invoke("ingest", "--store", tmp_path / "s", missing, ORG / "logs")
    assert result.exit_code == 4
    assert f"skipped {missing}: no such file or folder" in result.stderr
    assert "3 read" in result.stdout  # the good folder was read whole
    quiet = invoke("ingest", "-q", "--store", tmp_path / "s2", missing, ORG / "logs")
    assert quiet.exit_code == 4 and "no such file or folder" in quiet.stderr


def test_only_missing_paths_is_an_error_you_can_fix(tmp_path):
    result = invoke("ingest", "--store", tmp_path / "s", tmp_path / "nope")
    assert result.exit_code == 1
    assert "error: nothing was ingested" in result.stderr


def test_a_file_no_single_format_reads_names_the_mixture_to_try():
    head = [SQUID] * 2 + [SURICATA] * 2 + ["some other device's line"] * 6
    found = detect(head)
    assert found.fmt is None
    assert "try --log-format suricata,squid" in found.reason


def test_shadowscan_alone_prints_help_and_exits_2():
    done = subprocess.run([EXE], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Commands:" in done.stdout + done.stderr


def test_formats_as_json():
    rows = json.loads(invoke("formats", "--format", "json").stdout)
    squid = next(r for r in rows if r["name"] == "squid")
    assert "user" in squid["fills"] and squid["title"]


def _commands(group: click.Group, prefix: str = ""):
    ctx = click.Context(group)  # `cli` loads its commands on demand
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize(("name", "command"), [("", cli), *_commands(cli)], ids=lambda x: str(x))
def test_every_option_has_help(name, command):
    missing = [
        p.name
        for p in command.params
        if isinstance(p, click.Option) and not p.help and p.name != "help"
    ]
    assert not missing, f"shadowscan {name}: options without help: {missing}"


def test_watch_reads_with_the_same_options_as_ingest():
    ctx = click.Context(cli)
    ingest = {p.name for p in cli.get_command(ctx, "ingest").params}
    watch = {p.name for p in cli.get_command(ctx, "watch").params}
    # a backlog is what --scheduler fans out; watch follows what is being written now
    assert ingest - watch == {"reingest", "commit_mb", "relist", "scheduler"}
    assert invoke("watch", "--log-format", "nonsense", ".").exit_code == 2


def test_an_unexpected_failure_is_one_line_that_says_it_is_a_bug(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the table broke")

    monkeypatch.setattr(format_list, "Table", boom)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "argv", ["shadowscan", "formats"])
    assert run(cli, Console(file=buffer, width=200)) == Exit.ERROR
    text = buffer.getvalue()
    assert "error: unexpected RuntimeError: the table broke" in text
    assert "bug in shadowscan" in text and "--traceback" in text
    assert "Traceback" not in text
    monkeypatch.setattr(sys, "argv", ["shadowscan", "formats", "--traceback"])
    with pytest.raises(RuntimeError):
        run(cli, Console(file=io.StringIO()))


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["shadowscan"], Exit.USAGE),
        (["shadowscan", "no-such-command"], Exit.USAGE),
        (["shadowscan", "report", "--no-such-option"], Exit.USAGE),
        (["shadowscan", "export", "--format", "xml"], Exit.USAGE),
        (["shadowscan", "report", "--store", "/nonexistent/store"], Exit.ERROR),
    ],
)
def test_a_command_line_click_cannot_read_exits_2_other_mistakes_1(monkeypatch, argv, status):
    monkeypatch.setattr(sys, "argv", argv)
    assert run(cli, Console(file=io.StringIO())) == status
