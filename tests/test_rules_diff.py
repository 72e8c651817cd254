"""`shadowscan rules diff`: a catalogue update reviewed like code, through the real command.

Proven here: on two small folders, services added, removed, renamed (through
`aliases`) and changed are listed with their host and path rules, fields and
facts, in the terminal and as JSON; identical folders have no differences; the
bundled catalogue is the default NEW_DIR; a missing folder or a broken rule is
one clear error; hostile text in a rule is shown escaped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from shadowscan.cli.main import cli
from shadowscan.match.catalogue import default_rules_dir
from tests.rulekit import rules_dir, service_toml

FACT = '[facts]\nheadquarters = {{ value = "{hq}", source = "https://a.example/about" }}\n'
PATH = '\n[[paths]]\nhost = "www.shared.example"\nprefix = "{prefix}"\nsignal = "ui"\n'


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    old = rules_dir(
        tmp_path / "old",
        {
            "alpha.toml": service_toml("alpha.example.com", name="Alpha", extra=PATH.format(
                prefix="/mcp")).replace("[[hosts]]", FACT.format(hq="US") + "\n[[hosts]]"),
            "beta.toml": service_toml("beta.example.com", name="Beta"),
            "gamma.toml": service_toml("gamma.example.com", name="Gamma"),
        },
    )  # fmt: skip
    alpha = service_toml(
        "alpha.example.com", name="Alpha", signal="api",
        extra='\n[[hosts]]\npattern = "api.alpha.example.com"\nmatch = "exact"\nsignal = "api"\n'
        + PATH.format(prefix="/sse"),
    ).replace('category = "api"', 'category = "agent-protocol"')  # fmt: skip
    alpha = alpha.replace("[[hosts]]", FACT.format(hq="FR") + "\n[[hosts]]", 1)
    new = rules_dir(
        tmp_path / "new",
        {
            "alpha.toml": alpha,
            "delta.toml": service_toml("gamma.example.com", name="Gamma").replace(
                "homepage", 'aliases = ["gamma"]\nhomepage'
            ),
            "epsilon.toml": service_toml("epsilon.example.com", name="Epsilon"),
        },
    )
    return old, new


def test_terminal_diff_lists_every_kind_of_change(tmp_path: Path) -> None:
    old, new = _folders(tmp_path)
    result = invoke("rules", "diff", old, new)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    alpha = lines[
        lines.index("~ alpha (Alpha): changed") + 1 : lines.index("- beta (Beta): removed")
    ]
    assert alpha == [
        "    ~ field category: api -> agent-protocol",
        "    ~ fact headquarters: value=US source=https://a.example/about -> "
        "value=FR source=https://a.example/about",
        "    ~ host alpha.example.com: match=suffix signal=ui plan=unknown -> "
        "match=suffix signal=api plan=unknown",
        "    + host api.alpha.example.com: match=exact signal=api plan=unknown",
        "    - path www.shared.example/mcp: signal=ui plan=unknown",
        "    + path www.shared.example/sse: signal=ui plan=unknown",
    ]
    assert "    - host beta.example.com: match=suffix signal=ui plan=unknown" in lines
    assert "~ delta (Gamma): renamed from gamma" in lines
    assert "    ~ field aliases: [] -> [gamma]" in lines
    assert "+ epsilon (Epsilon): added" in lines
    assert lines[-1] == (
        "services: 1 added, 1 removed, 1 changed, 1 renamed; hosts: +2 -1 ~1; paths: +1 -1 ~0"
    )


def test_json_diff(tmp_path: Path) -> None:
    old, new = _folders(tmp_path)
    doc = json.loads(invoke("rules", "diff", old, new, "--format", "json").output)
    assert doc["schema"] == "shadowscan.rules-diff/1"
    assert doc["summary"]["services_added"] == 1 and doc["summary"]["hosts_added"] == 2
    status = {s["id"]: s["status"] for s in doc["services"]}
    assert status == {"alpha": "changed", "beta": "removed", "delta": "renamed", "epsilon": "added"}
    alpha = next(s for s in doc["services"] if s["id"] == "alpha")
    assert {
        "kind": "host",
        "key": "alpha.example.com",
        "change": "changed",
        "old": {"match": "suffix", "signal": "ui", "plan": "unknown"},
        "new": {"match": "suffix", "signal": "api", "plan": "unknown"},
    } in alpha["changes"]
    out = tmp_path / "diff.json"
    assert invoke("rules", "diff", old, new, "--format", "json", "-o", out).exit_code == 0
    assert json.loads(out.read_text()) == doc


def test_identical_folders_and_the_bundled_default(tmp_path: Path) -> None:
    old, _ = _folders(tmp_path)
    same = invoke("rules", "diff", old, old)
    assert same.exit_code == 0 and same.output.splitlines()[-1] == "no differences."
    copy = tmp_path / "bundled"
    shutil.copytree(default_rules_dir(), copy)
    (copy / "services" / "claude.toml").unlink()
    text = (copy / "services" / "chatgpt.toml").read_text()
    (copy / "services" / "chatgpt.toml").write_text(
        text.replace('name = "ChatGPT"', 'name = "GPT"')
    )
    doc = json.loads(invoke("rules", "diff", copy, "--format", "json").output)
    assert doc["new"] == str(default_rules_dir())
    assert {s["id"]: s["status"] for s in doc["services"]} == {
        "chatgpt": "changed",
        "claude": "added",
    }


def test_a_review_mark_removed_is_a_change(tmp_path: Path) -> None:
    old = rules_dir(tmp_path / "old", {"c.toml": "review = true\n" + service_toml("c.example.com")})
    new = rules_dir(tmp_path / "new", {"c.toml": service_toml("c.example.com")})
    result = invoke("rules", "diff", old, new)
    assert "    ~ field review: True -> False" in result.output


def test_missing_folder_and_broken_rule_are_clear_errors(tmp_path: Path) -> None:
    missing = invoke("rules", "diff", tmp_path / "nope")
    assert missing.exit_code == 1 and "no rules folder at" in missing.output
    broken = rules_dir(tmp_path / "broken", {"x.toml": "name = \n"})
    result = invoke("rules", "diff", broken)
    assert result.exit_code == 1 and "x.toml:1: Invalid value" in result.output


def test_hostile_rule_text_is_escaped(tmp_path: Path) -> None:
    old = rules_dir(tmp_path / "old", {})
    (old / "placeholder.toml").write_text(service_toml("p.example.com"))
    new = rules_dir(
        tmp_path / "new",
        {"x.toml": service_toml("x.example.com", name="[bold red]X\\u001b[2J")},
    )
    (new / "placeholder.toml").write_text(service_toml("p.example.com"))
    result = invoke("rules", "diff", old, new)
    assert "\x1b" not in result.output
    assert "+ x ([bold red]X\\x1b[2J): added" in result.output
