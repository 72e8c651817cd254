"""`shadowscan ingest --map`: any CSV or JSON-lines export, through the real command.

Proven here: the TOML and the `field=Column` forms read our fixture exports
into events; a column the file lacks skips that file with a sentence naming
it and listing the columns present; mapping mistakes are one sentence, never a
traceback; `--map` and `--log-format` exclude each other; and rows appended to
a mapped CSV are read on the next run with the header still in force.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl
from click.testing import CliRunner

from shadowscan.cli.main import cli
from shadowscan.store.delta import EventStore

MAPPED = Path(__file__).resolve().parents[1] / "fixtures" / "mapped"


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def events(store: Path) -> pl.DataFrame:
    columns = ("source_line", "identity", "host", "bytes_out", "action", "source_format")
    return EventStore(store).events().select(columns).collect().sort("source_line")


def test_a_firewall_csv_export_through_a_toml_mapping(tmp_path):
    store = tmp_path / "store"
    result = invoke("ingest", "--store", store, "--map", MAPPED / "firewall-export.toml",
                    MAPPED / "firewall-export.csv")  # fmt: skip
    assert result.exit_code == 0, result.output
    got = events(store)
    assert got["source_format"].unique().to_list() == ["mapped"]
    first = got.row(0, named=True)
    assert (first["identity"], first["host"], first["bytes_out"], first["action"]) == (
        "alice", "chatgpt.com", 18342, "allowed",
    )  # fmt: skip
    run = EventStore(store).runs().collect().row(0, named=True)
    assert (run["lines"], run["events"], run["rejected"], run["skipped"]) == (13, 8, 3, 2)


def test_json_lines_through_pairs_on_the_command_line(tmp_path):
    store = tmp_path / "store"
    spec = "ts=@timestamp,url=url.original,user=user.name,client_ip=source.ip"
    result = invoke("ingest", "--store", store, "--map", spec, MAPPED / "siem-search.jsonl")
    assert result.exit_code == 0, result.output
    hosts = events(store)["host"].to_list()
    assert hosts[:3] == ["chatgpt.com", "claude.ai", "gemini.google.com"]


def test_a_column_the_file_lacks_is_named_with_those_present(tmp_path):
    result = invoke("ingest", "--store", tmp_path / "s", "--map", "ts=Time,host=Domian",
                    MAPPED / "firewall-export.csv")  # fmt: skip
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "'Domian'" in said
    assert "Time, Source IP, User, Domain, Destination Port" in said
    assert "Traceback" not in result.output


def test_mapping_mistakes_are_one_sentence(tmp_path):
    log = MAPPED / "firewall-export.csv"
    for spec, words in [
        ("ts=Time,hots=Domain", "unknown field 'hots'"),
        ("host=Domain", "no column for the time"),
        ("ts=Time", "no column for the destination"),
        ("ts=Time,host", "is not a field=Column pair"),
        (str(tmp_path / "missing.toml"), "no mapping file"),
    ]:
        result = invoke("ingest", "--store", tmp_path / "s", "--map", spec, log)
        assert result.exit_code == 1, spec
        assert words in result.output, (spec, result.output)
        assert "Traceback" not in result.output


def test_map_and_log_format_exclude_each_other(tmp_path):
    result = invoke("ingest", "--store", tmp_path / "s", "--map", "ts=Time,host=Domain",
                    "--log-format", "squid", MAPPED / "firewall-export.csv")  # fmt: skip
    assert result.exit_code == 1
    assert "cannot be used together" in result.output


def test_rows_appended_to_a_mapped_csv_are_read_with_its_header(tmp_path):
    rows = (MAPPED / "firewall-export.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    log, store = tmp_path / "export.csv", tmp_path / "store"
    shutil.copy(MAPPED / "firewall-export.toml", tmp_path / "map.toml")
    log.write_text("".join(rows[:4]), encoding="utf-8")
    for text in ("", "".join(rows[4:])):
        with open(log, "a", encoding="utf-8") as f:
            f.write(text)
        os.utime(log, (1_600_000_000, 1_600_000_000))  # an old, finished file
        result = invoke("ingest", "--store", store, "--map", tmp_path / "map.toml", log)
        assert result.exit_code == 0, result.output
    whole = tmp_path / "whole"
    invoke("ingest", "--store", whole, "--map", tmp_path / "map.toml",
           MAPPED / "firewall-export.csv")  # fmt: skip
    assert events(store).drop("source_format").equals(events(whole).drop("source_format"))
