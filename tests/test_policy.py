"""The policy file: where it is found, what it means, and one clear error per mistake."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from shadowscan.analyse.classify import classify
from shadowscan.errors import PolicyError
from shadowscan.match.catalogue import load_catalogue
from shadowscan.policy.config import find_config, load_policy, read_config
from tests.matched import MATCHED_SCHEMA

CATALOGUE = load_catalogue()


def _policy(tmp_path: Path, text: str, files: dict[str, str] | None = None):
    for name, body in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    path = tmp_path / "shadowscan.toml"
    path.write_text(text)
    return load_policy(path, read_config(path), CATALOGUE)


DIRECTORY = "user,department\nACME\\Alice,Sales\nbob@acme.example,Engineering\ncarol,Sales\n"


def test_config_is_found_by_flag_then_environment_then_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHADOWSCAN_CONFIG", raising=False)
    assert find_config(None) is None
    (tmp_path / "shadowscan.toml").write_text("")
    assert find_config(None) == Path("shadowscan.toml")
    monkeypatch.setenv("SHADOWSCAN_CONFIG", "/etc/x.toml")
    assert find_config(None) == Path("/etc/x.toml")
    assert find_config(Path("flag.toml")) == Path("flag.toml")


def test_a_full_policy_loads_with_paths_relative_to_the_file(tmp_path):
    policy = _policy(
        tmp_path,
        '[organization]\nname = "Acme"\n[directory]\nfile = "people/dir.csv"\n'
        '[identity]\nip_map = "dhcp.csv"\n'
        '[[sanctioned]]\nservice = "chatgpt"\nplan = "enterprise"\nseats = "seats.csv"\n'
        '[[sanctioned]]\nservice = "codeium"\ndepartments = ["Engineering"]\n',
        {
            "people/dir.csv": DIRECTORY,
            "seats.csv": "user\nACME\\alice\n",
            "dhcp.csv": "ip,user,start,end\n10.0.0.9,carol,2026-11-01T00:00:00Z,\n",
        },
    )
    assert policy.name == "Acme"
    assert policy.directory["user"].to_list() == ["alice", "bob", "carol"]
    assert policy.sanctioned_services == {"chatgpt", "windsurf"}  # codeium is windsurf's alias
    assert policy.grants[0].seats["user"].to_list() == ["alice"]
    assert policy.ip_map.row(0)[:2] == ("10.0.0.9", "carol")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[organisation]\nname = "x"\n', "unknown table [organisation]"),
        ("[organization]\nheadcount = -3\n", "headcount must be a positive"),
        ('[[sanctioned]]\nservice = "chatgtp"\neveryone = true\n', "Did you mean chatgpt"),
        ('[[sanctioned]]\nservice = "chatgpt"\n', "exactly one of seats, departments"),
        (
            '[[sanctioned]]\nservice = "chatgpt"\neveryone = true\nseats = "s.csv"\n',
            "exactly one of",
        ),
        ('[[sanctioned]]\nservice = "chatgpt"\nseat = "s.csv"\n', "unknown key 'seat'"),
        ('[directory]\nfile = "nope.csv"\n', "cannot read"),
        ('[directory]\nfile = "bad.csv"\n', "has no 'department' column"),
        ('[identity]\nip_map = "leases.csv"\n', "cannot read the start time 'yesterday'"),
        (
            '[directory]\nfile = "dir.csv"\n[[sanctioned]]\nservice = "claude"\n'
            'departments = ["Marketing"]\n',
            "department 'Marketing' is not in the directory",
        ),
        ("this is = not toml = at all", "is not valid TOML"),
    ],
)
def test_a_mistake_is_one_clear_error(tmp_path, text, message):
    files = {
        "bad.csv": "user,dept\nalice,Sales\n",
        "dir.csv": DIRECTORY,
        "leases.csv": "ip,user,start,end\n10.0.0.1,alice,yesterday,\n",
    }
    with pytest.raises(PolicyError) as caught:
        _policy(tmp_path, text, files)
    assert message in f"{caught.value.message} {caught.value.hint}"
    assert caught.value.hint, "every policy error says what to do next"
    assert caught.value.message.count(str(tmp_path)) <= 1, "the path is named once"


GRANT = '[[sanctioned]]\nservice = "chatgpt"\nseats = "seats.csv"\n'


@pytest.mark.parametrize(
    ("seats", "extra", "holders"),
    [
        (
            "Name,Email,Role\nAlice A,alice@acme.example,admin\nBob B,bob@acme.example,member\n",
            "",
            ["alice", "bob"],
        ),
        ("EMAIL;Name\nalice@acme.example;Alice\n", "", ["alice"]),  # semicolons, any case
        ("\ufeffUser Name,Seat\nACME\\carol,1\n", "", ["carol"]),  # BOM, spaced name
        ("alice\nbob\n", "", ["alice", "bob"]),  # a plain one-column list
        ("user\nalice\n", "", ["alice"]),  # the same with its header
        ("Name,Mail Address\nAlice,alice@acme.example\n", 'column = "mail address"\n', ["alice"]),
        ("user\n", "", []),  # header only: no seats
    ],
)
def test_a_seat_export_is_read_by_its_header(tmp_path, seats, extra, holders):
    policy = _policy(tmp_path, GRANT + extra, {"seats.csv": seats})
    assert sorted(policy.grants[0].seats["user"].to_list()) == holders


@pytest.mark.parametrize(
    ("seats", "extra", "message"),
    [
        ("Name,Role\nAlice,admin\n", "", "cannot tell which column of the seat list"),
        ("alice,2026-01-01\nbob,2026-02-01\n", "", "columns: 'alice', '2026-01-01'"),
        ("Name,Email\nA,a@x\n", 'column = "Login"\n', "has no column 'Login'"),
        ("user\nalice\n", "column = 3\n", "column must be a header name"),
        ("", "", "is empty"),
    ],
)
def test_a_seat_file_that_cannot_be_read_unambiguously_is_refused(tmp_path, seats, extra, message):
    with pytest.raises(PolicyError) as caught:
        _policy(tmp_path, GRANT + extra, {"seats.csv": seats})
    assert message in caught.value.message
    assert caught.value.hint


def test_directory_and_leases_find_their_user_column_by_name(tmp_path):
    policy = _policy(
        tmp_path,
        '[directory]\nfile = "dir.csv"\n[identity]\nip_map = "dhcp.csv"\ncolumn = "Owner"\n',
        {
            "dir.csv": "Display Name,E-mail,Department\nAlice,alice@acme.example,Sales\n",
            "dhcp.csv": "IP,Owner,Start,End\n10.0.0.9,ACME\\dave,2026-11-01T00:00:00Z,\n",
        },
    )
    assert policy.directory.select("user", "department").rows() == [("alice", "Sales")]
    assert policy.ip_map.row(0)[:2] == ("10.0.0.9", "dave")


def _events(rows) -> pl.DataFrame:
    schema = {k: v for k, v in MATCHED_SCHEMA.items() if k != "bytes_out"}
    return pl.DataFrame(rows, schema=schema, orient="row")


T = datetime(2026, 11, 10, 12, tzinfo=UTC)


def test_classification_follows_the_rules_in_order(tmp_path):
    policy = _policy(
        tmp_path,
        '[directory]\nfile = "dir.csv"\n[identity]\nip_map = "dhcp.csv"\n'
        '[[sanctioned]]\nservice = "chatgpt"\nseats = "seats.csv"\n'
        '[[sanctioned]]\nservice = "microsoft-copilot"\neveryone = true\n'
        '[[sanctioned]]\nservice = "github-copilot"\ndepartments = ["Engineering"]\n',
        {
            "dir.csv": DIRECTORY,
            "seats.csv": "alice\n",
            "dhcp.csv": "ip,user,start,end\n"
            "10.0.0.9,carol,2026-11-01T00:00:00Z,2026-11-05T00:00:00Z\n"
            "10.0.0.9,bob,2026-11-05T00:00:00Z,\n",
        },
    )
    rows = [
        (T, "alice", "alice", "10.0.0.1", "chatgpt", "unknown", "suffix:chatgpt.com", "ui"),
        (T, "alice", "alice", "10.0.0.1", "chatgpt", "personal", "path:x", "ui"),
        (T, "carol", "carol", "10.0.0.3", "chatgpt", "unknown", "suffix:chatgpt.com", "ui"),
        (T, "carol", "carol", "10.0.0.3", "claude", "unknown", "suffix:claude.ai", "ui"),
        (T, "10.0.0.9", None, "10.0.0.9", "microsoft-copilot", "unknown", "exact:x", "ui"),
        (T, "10.0.0.7", None, "10.0.0.7", "claude", "unknown", "suffix:claude.ai", "ui"),
        (T, "bob", "bob", "10.0.0.2", "github-copilot", "unknown", "suffix:x", "api"),
        (T, "alice", "alice", "10.0.0.1", "github-copilot", "unknown", "suffix:x", "api"),
        (T, "dan", "dan", "10.0.0.4", "microsoft-copilot", "unknown", "exact:x", "ui"),
    ]
    out = classify(_events(rows), policy)
    got = out.select("identity", "service_id", "classification", "reason").rows()
    assert got == [
        ("alice", "chatgpt", "sanctioned", "grant: seats.csv"),
        ("alice", "chatgpt", "shadow", "personal-plan evidence in the log (path:x)"),
        ("carol", "chatgpt", "shadow", "sanctioned, but this person holds no chatgpt grant"),
        ("carol", "claude", "shadow", "claude is not sanctioned"),
        ("bob", "microsoft-copilot", "sanctioned", "grant: everyone"),  # leased to bob then
        (
            "10.0.0.7",
            "claude",
            "unattributed",
            "no user in the log, and no lease for the address at that time",
        ),
        ("bob", "github-copilot", "sanctioned", "grant: departments Engineering"),
        (
            "alice",
            "github-copilot",
            "shadow",
            "sanctioned, but this person holds no github-copilot grant",
        ),
        (
            "dan",
            "microsoft-copilot",
            "shadow",  # not in the directory: not in `everyone`
            "sanctioned, but this person holds no microsoft-copilot grant",
        ),
    ]
    assert out["department"].to_list()[:4] == ["Sales", "Sales", "Sales", "Sales"]


def test_without_a_policy_file_everything_is_shadow():
    from shadowscan.policy.config import Policy

    rows = [(T, "10.0.0.7", None, "10.0.0.7", "claude", "unknown", "suffix:claude.ai", "ui")]
    out = classify(_events(rows), Policy(notes=[]))
    assert out.select("classification", "reason").row(0) == (
        "shadow",
        "no policy file: nothing is sanctioned",
    )
