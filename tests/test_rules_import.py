"""`shadowscan rules import`: public lists into candidate rule files, through the real command.

Proven here: our own v2fly-format sample (`fixtures/lists/`) becomes one candidate
per registered domain, with its hosts, a `source` and `review = true`; `include:`
lines are followed beside the file (a missing one and a loop are reported);
hosts the catalogue covers are reported, not written; `keyword:`/`regexp:` lines,
a path, a wildcard, a port, a 300-character label, a shared platform's suffix
(`vercel.app`) and garbage are each reported
with their line, an IDN becomes punycode; the plain-list and CSV formats work
the same way; candidates match nothing until the mark is removed, then pass
`rules check` and `rules test`; a reviewed file is never overwritten; hostile
text is shown escaped. A hypothesis property: an imported list, un-reviewed and
exported as a hosts list, covers every imported domain and nothing else.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.cli.main import cli
from shadowscan.match.catalogue import Catalogue, default_rules_dir, load_catalogue
from shadowscan.match.importer import import_list
from shadowscan.match.lists import check_host
from shadowscan.match.matcher import HostMatcher
from shadowscan.ruleexport import hosts_file as hosts_export
from shadowscan.ruleexport import select

LISTS = Path(__file__).resolve().parents[1] / "fixtures" / "lists"
BUNDLED = load_catalogue()
BUNDLED_HOSTS = hosts_export.render(select(BUNDLED)).splitlines()


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _import(tmp_path: Path, name: str, fmt: str, *extra: str) -> tuple[str, Path]:
    out = tmp_path / "review"
    result = invoke("rules", "import", LISTS / name, "--from", fmt, "-o", out, *extra)
    assert result.exit_code == 0, result.output
    return result.output, out


def _candidates(out: Path) -> dict[str, dict]:
    return {p.stem: tomllib.loads(p.read_text()) for p in sorted(out.glob("*.toml"))}


def _hosts(doc: dict) -> dict[str, str]:
    return {h["pattern"]: h["match"] for h in doc["hosts"]}


def test_v2fly_sample_becomes_one_candidate_per_registered_domain(tmp_path: Path) -> None:
    output, out = _import(
        tmp_path, "category-ai-sample", "v2fly", "--source", "https://x.example/l"
    )
    docs = _candidates(out)
    assert set(docs) == {
        "sample-relay-ai",
        "sampleagent-com",
        "imagegen-sample-co-uk",
        "sample-notes-io",  # from the included ai-sample-extra
        "xn-bcher-ki-sample-zvb-de",
        "sample-chat-app-vercel-app",  # an app on a shared platform is its own candidate
    }
    relay = docs["sample-relay-ai"]
    assert relay["review"] is True and relay["source"] == "https://x.example/l"
    assert _hosts(relay) == {
        "sample-relay.ai": "suffix",
        "api.sample-relay.ai": "exact",
        "api2.sample-relay.ai": "suffix",
    }
    assert relay["hosts"][0]["source"] == "category-ai-sample:7 @!cn"
    assert _hosts(docs["sample-notes-io"]) == {
        "sample-notes.io": "suffix",
        "voice.sample-notes.io": "exact",
    }
    assert docs["sample-notes-io"]["hosts"][1]["source"] == "ai-sample-extra:3 @ads"
    assert _hosts(docs["xn-bcher-ki-sample-zvb-de"]) == {"xn--bcher-ki-sample-zvb.de": "suffix"}
    assert "6 candidate(s), 2 already covered" in output


def test_covered_hosts_are_reported_not_duplicated(tmp_path: Path) -> None:
    output, out = _import(tmp_path, "category-ai-sample", "v2fly")
    assert "covered: category-ai-sample:15: chatgpt.com is chatgpt" in output
    assert "covered: category-ai-sample:16: api.openai.com is openai-api" in output
    written = {h for doc in _candidates(out).values() for h in _hosts(doc)}
    assert not written & {"chatgpt.com", "api.openai.com"}


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("category-ai-sample:4", "no ai-sample-missing beside category-ai-sample"),
        ("ai-sample-extra:4", "include loop"),
        ("category-ai-sample:19", "keyword: lines are never turned into host rules"),
        ("category-ai-sample:20", "regexp: lines are never turned into host rules"),
        ("category-ai-sample:23", "a URL or path, not a host"),
        ("category-ai-sample:24", "a wildcard"),
        ("category-ai-sample:25", "imported as xn--bcher-ki-sample-zvb.de (IDNA)"),
        ("category-ai-sample:26", "has a label longer than 63 characters"),
        ("category-ai-sample:27", "not a host name"),
        ("category-ai-sample:28", "has a port or a scheme"),
        ("category-ai-sample:29", "not a host name"),
        ("category-ai-sample:30", "unexpected text after the rule"),
        ("category-ai-sample:31", "a shared platform's suffix"),
    ],
)
def test_each_unusable_line_is_reported_with_its_line(tmp_path, where, message) -> None:
    output, _ = _import(tmp_path, "category-ai-sample", "v2fly")
    assert any(line.startswith(f"note: {where}: {message}") for line in output.splitlines()), output


def test_keywords_and_regexps_never_become_host_rules(tmp_path: Path) -> None:
    _, out = _import(tmp_path, "category-ai-sample", "v2fly")
    text = "".join(p.read_text() for p in out.glob("*.toml"))
    assert "samplegpt" not in text and "[0-9]" not in text


def test_candidates_match_nothing_until_reviewed(tmp_path: Path) -> None:
    _, out = _import(tmp_path, "category-ai-sample", "v2fly")
    pending = load_catalogue(extra=[out])
    assert len(pending.awaiting_review) == 6
    assert HostMatcher(pending).match_one("x.sample-relay.ai") is None
    check = invoke("rules", "check", "--rules", out)
    assert check.exit_code == 0 and "6 candidate(s) awaiting review" in check.output
    for path in out.glob("*.toml"):
        path.write_text(path.read_text().replace("review = true\n", ""))
    hit = HostMatcher(load_catalogue(extra=[out])).match_one("x.sample-relay.ai")
    assert hit is not None and hit.service_id == "sample-relay-ai"
    assert invoke("rules", "check", "--rules", out).exit_code == 0
    test = invoke("rules", "test", "--rules", out)
    assert test.exit_code == 0 and "all pass" in test.output


def test_plain_domain_list(tmp_path: Path) -> None:
    output, out = _import(tmp_path, "ai-sample.txt", "domain-list")
    docs = _candidates(out)
    assert {h for d in docs.values() for h in _hosts(d)} == {
        "sample-relay.ai",
        "www.sample-notes.io",  # from a hosts-file line
        "sampleagent.com",  # a leading dot, as in a Squid dstdomain list
    }
    assert "covered: ai-sample.txt:7: chatgpt.com is chatgpt" in output
    assert "note: ai-sample.txt:5: a URL or path, not a host" in output
    assert "note: ai-sample.txt:6: not one domain per line" in output


def test_csv_list_with_names_and_categories(tmp_path: Path) -> None:
    output, out = _import(tmp_path, "ai-sample.csv", "csv")
    docs = _candidates(out)
    assert set(docs) == {"sample-relay-ai", "imagegen-sample-co-uk"}
    assert docs["sample-relay-ai"]["name"] == "Sample Relay"
    assert docs["sample-relay-ai"]["category"] == "api"
    assert _hosts(docs["imagegen-sample-co-uk"]) == {"app.imagegen-sample.co.uk": "exact"}
    assert "note: ai-sample.csv:4: a wildcard" in output
    assert "note: ai-sample.csv:6: match must be exact or suffix: 'sideways'" in output
    assert "covered: ai-sample.csv:5: api.openai.com is openai-api" in output


def test_csv_without_a_host_column_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,url\nx,https://x.example\n")
    result = invoke("rules", "import", bad, "--from", "csv", "-o", tmp_path / "r")
    assert result.exit_code == 1
    assert "has no host column" in result.output and "Its header: 'name', 'url'" in result.output


def test_hostile_bytes_never_crash_and_are_shown_escaped(tmp_path: Path) -> None:
    hostile = tmp_path / "hostile"
    hostile.write_bytes(
        b"domain:[bold red]x\x1b[2J.example.com\nfull:\xff\xfe.example.com\n"
        b"domain:nul-sample.com\x00\n" + b"x" * 100_000 + b"\n" + bytes(range(256)) + b"\n"
        b"domain:ok-sample.com\n"
    )
    out = tmp_path / "review"
    result = invoke("rules", "import", hostile, "--from", "v2fly", "-o", out)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\\x1b" in result.output
    assert "[bold red]" in result.output  # shown literally, never interpreted
    assert set(_candidates(out)) == {"ok-sample-com"}
    assert "1 candidate(s), 0 already covered" in result.output
    csv_file = tmp_path / "nul.csv"
    csv_file.write_bytes(b"host\nsample-csv-ok.com\nbad\x00host.com\n")
    result = invoke("rules", "import", csv_file, "--from", "csv", "-o", tmp_path / "csv")
    assert result.exit_code == 0, result.output
    assert set(_candidates(tmp_path / "csv")) == {"sample-csv-ok-com"}


def test_a_reviewed_file_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "review"
    out.mkdir()
    mine = out / "sample-relay-ai.toml"
    mine.write_text("# reviewed by hand\n")
    output, _ = _import(tmp_path, "category-ai-sample", "v2fly")
    assert mine.read_text() == "# reviewed by hand\n"
    assert "exists and is reviewed: left alone" in output


def test_an_unknown_category_is_refused(tmp_path: Path) -> None:
    result = invoke(
        "rules", "import", LISTS / "ai-sample.txt", "--from", "domain-list",
        "--category", "nope", "-o", tmp_path / "r",
    )  # fmt: skip
    assert result.exit_code == 1 and not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("raw", "host", "problem"),
    [
        ("Sample-Relay.AI.", "sample-relay.ai", None),
        ("bücher.de", "xn--bcher-kva.de", None),
        ("a" * 64 + ".com", None, "label longer than 63"),
        ("x.com/path", None, "path"),
        ("*.x.com", None, "wildcard"),
        ("x.com:443", None, "port"),
        ("1.2.3.4", None, "IP address"),
        ("x y.com", None, "spaces"),
        ("", None, "empty"),
    ],
)
def test_check_host(raw: str, host: str | None, problem: str | None) -> None:
    got, why = check_host(raw)
    assert got == host
    assert (why is None) if problem is None else (problem in why)


# --- the property: import, un-review, export as a hosts list ----------------------------

_LABEL = st.from_regex(r"[a-z][a-z0-9]{5,11}", fullmatch=True)
_DOMAIN = st.tuples(st.just("zq"), _LABEL, st.sampled_from(["com", "ai", "io", "co.uk"])).map(
    lambda t: f"{t[0]}{t[1]}.{t[2]}"
)
_LINE = st.one_of(
    _DOMAIN.map(lambda d: f"domain:{d}"),
    st.tuples(_LABEL, _DOMAIN).map(lambda t: f"full:{t[0]}.{t[1]}"),
    _DOMAIN,
    _LABEL.map(lambda k: f"keyword:{k}"),
    _DOMAIN.map(lambda d: f"regexp:^x\\.{re.escape(d)}$"),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_LINE, min_size=1, max_size=12))
def test_imported_list_exported_as_hosts_covers_it_and_nothing_else(tmp_path, lines) -> None:
    work = tmp_path / "p"
    shutil.rmtree(work, ignore_errors=True)
    (work / "rules").mkdir(parents=True)
    shutil.copy(default_rules_dir() / "categories.toml", work / "rules")
    listed = work / "category-ai-prop"
    listed.write_text("\n".join(lines) + "\n")
    out = work / "rules" / "services"
    result = import_list(listed, "v2fly", BUNDLED, out, category="chat")
    imported = {
        line.split(":", 1)[-1] for line in lines if not line.startswith(("keyword:", "regexp:"))
    }
    assert {e.host for c in result.candidates for e in c.entries} == imported
    if not imported:
        return
    for path in out.glob("*.toml"):
        path.write_text(path.read_text().replace("review = true\n", ""))
    candidates = load_catalogue(root=work / "rules")  # the real loader, review mark removed
    assert set(candidates.services) == {c.id for c in result.candidates}
    text = hosts_export.render(select(candidates))
    exported = {line.split()[1] for line in text.splitlines() if not line.startswith("#")}
    assert imported <= exported
    parents = {c.domain for c in result.candidates}
    for host in exported:
        assert any(host == p or host.endswith("." + p) for p in parents), host
    merged = Catalogue(
        services={**BUNDLED.services, **candidates.services}, categories=BUNDLED.categories
    )
    added = set(hosts_export.render(select(merged)).splitlines()) - set(BUNDLED_HOSTS)
    assert {line.split()[1] for line in added if not line.startswith("#")} == imported


def test_a_long_list_of_bad_lines_is_counted_not_printed(tmp_path: Path) -> None:
    listed = tmp_path / "noisy"
    listed.write_text("keyword:x\n" * 250)
    out = tmp_path / "review"
    result = invoke("rules", "import", listed, "--from", "v2fly", "-o", out)
    assert result.exit_code == 0
    assert result.output.count("note: noisy:") == 200
    assert "… and 50 more (note)." in result.output
