"""The README's headline SQL, run by deltalake's own engine, gives the report's figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
from click.testing import CliRunner
from deltalake import DeltaTable, QueryBuilder, write_deltalake

from shadowscan.cli.main import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SIGNALS = ["ui", "api", "auth", "static", "telemetry"]


def headline_sql() -> str:
    """The one SQL block of the README's "Scaling out" section that selects from `ai`."""
    section = README.split("## Scaling out", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)
    return next(block for block in blocks if "FROM ai;" in block).rstrip().rstrip(";")


def rules_table(tmp_path: Path) -> DeltaTable:
    """`rules export --format csv` with every signal, as the README says, as a Delta table."""
    csv = tmp_path / "ai_rules.csv"
    options = [arg for signal in SIGNALS for arg in ("--signal", signal)]
    result = CliRunner().invoke(cli, ["rules", "export", "--format", "csv", *options, "-o", csv])
    assert result.exit_code == 0, result.output
    rules = pl.read_csv(csv, infer_schema=False)
    write_deltalake(str(tmp_path / "ai_rules"), rules.to_arrow())
    return DeltaTable(str(tmp_path / "ai_rules"))


def test_the_readme_headline_sql_gives_the_reports_headline(org_store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./shadowscan.toml: the report without a policy
    monkeypatch.delenv("SHADOWSCAN_CONFIG", raising=False)
    period = ["--since", "2026-11-02", "--until", "2026-11-29T23:59:59Z"]
    report = CliRunner().invoke(
        cli, ["report", "--store", str(org_store), "--format", "json", *period]
    )
    assert report.exit_code == 0, report.output
    expected = json.loads(report.output)
    query = (
        QueryBuilder()
        .register("events", DeltaTable(str(org_store / "events")))
        .register("ai_rules", rules_table(tmp_path))
    )
    row = pl.DataFrame(query.execute(headline_sql()).read_all()).row(0, named=True)
    assert expected["headline"]["population_source"] == "observed"
    assert row == {
        "identities_seen": expected["headline"]["population"],
        "ai_events": expected["totals"]["ai_events"],
        "ai_users": expected["headline"]["ai_users"],
        "shadow_users_without_a_policy": expected["headline"]["shadow_users"],
    }
    assert row["ai_users"] > 10 and row["ai_events"] > row["ai_users"]  # a real comparison
