"""The service catalogue: every rule's embedded cases, repository invariants, the matcher.

Proven here: each `match` / `no_match` case embedded in `rules/services/*.toml` holds;
the catalogue keeps its invariants (unique ids, cases both ways, no host or path
claimed twice, known categories, the core services present); matching respects
label boundaries and ignores case, a trailing dot and a port; loading a broken rule
folder reports every problem with its file; `match_events` applies path rules on
prefix boundaries; and `count_matches`, and `AiTally` over any chunking, agree with
`match_events`.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowscan.errors import RuleError
from shadowscan.match.cases import CaseResult, run_cases
from shadowscan.match.catalogue import load_catalogue, rule_dirs
from shadowscan.match.lint import check
from shadowscan.match.matcher import AiTally, HostMatcher
from shadowscan.match.service import Case
from tests.rulekit import rules_dir, service_toml

CATALOGUE = load_catalogue()
MATCHER = HostMatcher(CATALOGUE)

CORE_SERVICES = [
    "chatgpt", "claude", "gemini", "microsoft-copilot", "perplexity", "deepseek", "mistral",
    "grok", "openai-api", "anthropic-api", "github-copilot", "meta-ai",
]  # fmt: skip


RESULTS = run_cases(CATALOGUE, MATCHER)


def _case_id(r: CaseResult) -> str:
    kind = "no_match" if r.expected == "no match" else "match"
    return f"{r.service_id}:{kind}:{r.input}"


@pytest.mark.parametrize("result", [pytest.param(r, id=_case_id(r)) for r in RESULTS])
def test_embedded_case(result: CaseResult) -> None:
    assert result.got == result.expected, result.input


def test_embedded_cases_agree_with_match_one() -> None:
    """The vectorised case runner and the one-at-a-time path give the same answers."""
    for result in RESULTS[:: max(1, len(RESULTS) // 50)]:
        hit = MATCHER.match_one(result.input)
        got = "no match" if hit is None else f"{hit.service_id} {hit.signal}"
        assert got == " ".join(result.got.split()[:2]), result


# --- repository invariants -------------------------------------------------------------


def test_case_ids_are_unique() -> None:
    ids = Counter((r.service_id, r.input) for r in RESULTS)
    assert [case for case, n in ids.items() if n > 1] == []


def test_core_services_exist() -> None:
    assert set(CORE_SERVICES) <= set(CATALOGUE.services)


def test_the_catalogue_is_large_and_spans_every_category() -> None:
    assert len(CATALOGUE.services) >= 200
    assert {s.category for s in CATALOGUE.services.values()} == set(CATALOGUE.categories)


def test_rules_check_is_clean() -> None:
    _, problems = check(rule_dirs())
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize("service_id", sorted(CATALOGUE.services))
def test_service_states_the_reviewers_facts(service_id: str) -> None:
    facts = CATALOGUE.services[service_id].facts
    assert {"headquarters", "consumer_training", "enterprise_plan"} <= set(facts)
    for fact in facts.values():
        assert fact.value == "unknown" or fact.source.startswith("https://")


def test_plan_signals_visible_in_logs() -> None:
    plans = {
        "x.individual.githubcopilot.com": ("github-copilot", "personal"),
        "x.business.githubcopilot.com": ("github-copilot", "business"),
        "x.enterprise.githubcopilot.com": ("github-copilot", "enterprise"),
        "https://chatgpt.com/backend-anon/conversation": ("chatgpt", "personal"),
        "copilot.microsoft.com": ("microsoft-copilot", "personal"),
        "m365.cloud.microsoft": ("microsoft-copilot", "business"),
        "acme-prod.openai.azure.com": ("azure-openai", "org-cloud"),
        "bedrock-runtime.eu-west-1.amazonaws.com": ("aws-bedrock", "org-cloud"),
        "europe-west4-aiplatform.googleapis.com": ("vertex-ai", "org-cloud"),
        "api.openai.com": ("openai-api", "unknown"),
    }
    for text, expected in plans.items():
        hit = MATCHER.match_one(text)
        assert hit is not None and (hit.service_id, hit.plan) == expected, text


@pytest.mark.parametrize("service_id", sorted(CATALOGUE.services))
def test_service_is_well_formed(service_id: str) -> None:
    service = CATALOGUE.services[service_id]
    assert service.id == service.source.stem
    assert service.category in CATALOGUE.categories
    assert service.must_match, "needs at least one `match` case"
    assert service.must_not_match, "needs at least one `no_match` case"
    assert service.hosts or service.paths


def test_no_host_or_path_is_claimed_twice() -> None:
    owners: dict[tuple[str, str], set[str]] = {}
    for rule in CATALOGUE.host_rules:
        owners.setdefault((rule.pattern, rule.kind), set()).add(rule.service_id)
    for rule in CATALOGUE.path_rules:
        owners.setdefault((rule.host + rule.prefix, "path"), set()).add(rule.service_id)
    assert {key: ids for key, ids in owners.items() if len(ids) > 1} == {}
    assert len(CATALOGUE.host_rules) + len(CATALOGUE.path_rules) == len(owners)


# --- matching properties ---------------------------------------------------------------

_LABEL = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1)


def _service_of(text: str) -> str | None:
    hit = MATCHER.match_one(text)
    return hit.service_id if hit else None


# Each example runs single-host matcher queries over the whole catalogue; on a shared
# 2-core machine that can pass Hypothesis's 200 ms deadline. These properties are about
# what matches; speed is the matcher benchmark's job.
@settings(deadline=None)
@given(_LABEL)
def test_matches_stop_at_label_boundaries(x: str) -> None:
    assert _service_of(x + "claude.ai") != "claude"
    assert _service_of(f"claude.ai.{x}.example") != "claude"
    assert _service_of(f"{x}.claude.ai") == "claude"


_PATTERNS = st.sampled_from([rule.pattern for rule in CATALOGUE.host_rules])
_HOSTS = st.one_of(
    _PATTERNS,
    st.tuples(_LABEL, _PATTERNS).map(".".join),
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
)


@settings(deadline=None)
@given(_HOSTS, st.integers(0, 65535))
def test_case_trailing_dot_and_port_never_change_a_match(host: str, port: int) -> None:
    expected = MATCHER.match_one(host)
    for variant in (host.upper(), host.lower(), host + ".", f"{host}:{port}", f"{host}.:{port}"):
        assert MATCHER.match_one(variant) == expected


# --- loading broken rule folders -------------------------------------------------------

_SERVICE = 'name = "{name}"\nvendor = "V"\ncategory = "{category}"\nhomepage = "https://h"\n'
_HOST = '[[hosts]]\npattern = "{pattern}"\nsignal = "{signal}"\n'
_CASES = '[tests]\nmatch = [{{ input = "{pattern}", signal = "ui" }}]\nno_match = ["x.example"]\n'


def _rules_dir(root: Path, files: dict[str, str]) -> Path:
    (root / "services").mkdir(parents=True)
    (root / "categories.toml").write_text('[categories]\nchat = "Chat"\n')
    for name, text in files.items():
        (root / "services" / name).write_text(text)
    return root


def _good(pattern: str, category: str = "chat", signal: str = "ui") -> str:
    return (
        _SERVICE.format(name="Good", category=category)
        + _HOST.format(pattern=pattern, signal=signal)
        + _CASES.format(pattern=pattern)
    )


def test_a_good_rule_folder_loads(tmp_path: Path) -> None:
    catalogue = load_catalogue(_rules_dir(tmp_path, {"good.toml": _good("good.example")}))
    assert list(catalogue.services) == ["good"]
    assert catalogue.services["good"].must_match == (Case("good.example", "good", "ui", None),)


def test_loading_lists_every_problem_with_its_file(tmp_path: Path) -> None:
    root = _rules_dir(
        tmp_path,
        {
            "bad-toml.toml": 'name = "unterminated\n',
            "unknown-category.toml": _good("u.example", category="nope"),
            "bad-signal.toml": _good("s.example", signal="web"),
            "no-name.toml": _good("n.example").replace('name = "Good"\n', ""),
            "good.toml": _good("good.example"),
        },
    )
    with pytest.raises(RuleError) as caught:
        load_catalogue(root)
    problems = caught.value.message.splitlines()[1:]
    expected = {
        "bad-toml.toml:1: ": "line 1",
        "unknown-category.toml:3: ": "unknown category 'nope'",
        "bad-signal.toml:5: ": "signal: 'web' must be one of",
        "no-name.toml: ": "missing name",
    }
    for where, what in expected.items():
        assert any(f"services/{where}" in p and what in p for p in problems), (where, problems)
    assert not any("good.toml" in p for p in problems)


def test_a_file_that_is_not_toml_is_one_problem(tmp_path: Path) -> None:
    root = _rules_dir(
        tmp_path, {"bad-toml.toml": 'name = "unterminated\n', "good.toml": _good("g.example")}
    )
    with pytest.raises(RuleError) as caught:
        load_catalogue(root)
    problems = caught.value.message.splitlines()[1:]
    assert len(problems) == 1, problems
    assert "services/bad-toml.toml:1: " in problems[0]
    assert "line 1" in problems[0]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            _good("a.example").replace(', signal = "ui" }', " }"), id="match case without signal"
        ),
        pytest.param(
            _SERVICE.format(name="A", category="chat") + 'hosts = ["a.example"]\n',
            id="hosts as strings",
        ),
        pytest.param(
            _good("a.example").replace('no_match = ["x.example"]', 'no_match = "x.example"'),
            id="no_match as a string",
        ),
    ],
)
def test_a_malformed_entry_is_a_rule_error(tmp_path: Path, text: str) -> None:
    root = _rules_dir(tmp_path, {"a.toml": text})
    with pytest.raises(RuleError, match=r"services/a\.toml(:\d+)?: "):
        load_catalogue(root)


# --- matching event frames -------------------------------------------------------------

_EVENTS = [
    ("www.bing.com", "/chat?x=1", "microsoft-copilot", "unknown"),
    ("www.bing.com", "/chat/turing", "microsoft-copilot", "unknown"),
    ("www.bing.com", "/copilotsearch", "microsoft-copilot", "unknown"),
    ("www.bing.com", "/search?q=chat", None, None),
    ("www.bing.com", "/chatter", None, None),
    ("www.bing.com", None, None, None),
    ("chatgpt.com", "/backend-anon/conversation", "chatgpt", "personal"),
    ("chatgpt.com", "/backend-api/conversation", "chatgpt", "unknown"),
    ("chatgpt.com", None, "chatgpt", "unknown"),
    ("ab.chatgpt.com", "/backend-anon/x", "chatgpt", "unknown"),
    ("copilot.microsoft.com", "/", "microsoft-copilot", "personal"),
    ("example.com", "/chat", None, None),
    (None, "/chat", None, None),
]


def _events(rows: list[tuple[str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"host": pl.String, "url_path": pl.String}, orient="row")


def test_match_events_applies_path_rules_on_prefix_boundaries() -> None:
    events = _events([(host, path) for host, path, _, _ in _EVENTS])
    out = MATCHER.match_events(events)
    assert out.select("host", "url_path").equals(events)
    assert out.select("service_id", "plan").rows() == [(sid, plan) for _, _, sid, plan in _EVENTS]


_POOL_HOSTS = [
    None, "www.bing.com", "chatgpt.com", "ab.chatgpt.com", "claude.ai", "x.com",
    "fakeclaude.ai", "example.com", "api.openai.com",
]  # fmt: skip
_POOL_PATHS = [None, "/", "/chat", "/chatter", "/backend-anon/x", "/i/grok?c=1"]
_EVENT_ROWS = st.lists(
    st.tuples(st.sampled_from(_POOL_HOSTS), st.sampled_from(_POOL_PATHS)), max_size=30
)


def test_a_tally_counts_a_mixed_frame() -> None:
    events = _events([(host, path) for host, path, _, _ in _EVENTS] * 3)
    tally = AiTally(MATCHER)
    tally.add(events)
    assert tally.total() == MATCHER.match_events(events)["service_id"].count()
    assert tally.total() == 3 * sum(sid is not None for *_, sid, _ in _EVENTS)


@settings(deadline=None)
@given(_EVENT_ROWS, st.lists(st.integers(0, 30)))
def test_a_tally_over_chunks_agrees_with_match_events(
    rows: list[tuple[str | None, str | None]], cuts: list[int]
):
    tally = AiTally(MATCHER)
    bounds = [0, *sorted(min(cut, len(rows)) for cut in cuts), len(rows)]
    for start, end in pairwise(bounds):
        tally.add(_events(rows[start:end]))
    assert tally.total() == MATCHER.match_events(_events(rows))["service_id"].count()


@pytest.fixture(scope="module")
def excluding_matcher(tmp_path_factory) -> HostMatcher:
    """Path rules on a host an exclusion covers, on a matched host and on a shared one."""
    extra = (
        '\n[[exclude]]\npattern = "status.local-ai.example"\nreason = "status page"\n'
        '\n[[paths]]\nhost = "status.local-ai.example"\nprefix = "/chat"\nsignal = "ui"\n'
        '\n[[paths]]\nhost = "app.local-ai.example"\nprefix = "/chat"\nsignal = "api"\n'
        '\n[[paths]]\nhost = "www.shared.example"\nprefix = "/ai"\nsignal = "ui"\n'
    )
    local = rules_dir(
        tmp_path_factory.mktemp("rules"),
        {"local-ai.toml": service_toml("local-ai.example", extra=extra)},
    )
    return HostMatcher(load_catalogue(extra=[local]))


_EXCLUDING_HOSTS = [None, "status.local-ai.example", "app.local-ai.example", "www.shared.example",
                    "local-ai.example", "shared.example", "www.bing.com"]  # fmt: skip
_EXCLUDING_PATHS = [None, "/", "/chat", "/chat/x", "/chatter", "/ai?q=1", "/aid"]


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_EXCLUDING_HOSTS), st.sampled_from(_EXCLUDING_PATHS)),
             max_size=40),
    st.lists(st.integers(0, 40)),
)  # fmt: skip
def test_a_tally_agrees_with_match_events_where_exclusions_meet_path_rules(
    excluding_matcher: HostMatcher, rows: list[tuple[str | None, str | None]], cuts: list[int]
):
    tally = AiTally(excluding_matcher)
    bounds = [0, *sorted(min(cut, len(rows)) for cut in cuts), len(rows)]
    for start, end in pairwise(bounds):
        tally.add(_events(rows[start:end]))
    expected = excluding_matcher.match_events(_events(rows))["service_id"].count()
    assert tally.total() == expected


def test_an_excluded_host_is_no_ai_event_even_on_a_path_rule(excluding_matcher: HostMatcher):
    rows = [("status.local-ai.example", "/chat"), ("www.shared.example", "/ai"),
            ("app.local-ai.example", "/chat"), ("www.shared.example", "/aid")]  # fmt: skip
    tally = AiTally(excluding_matcher)
    tally.add(_events(rows))
    assert excluding_matcher.match_events(_events(rows))["service_id"].to_list() == [
        None,
        "local-ai",
        "local-ai",
        None,
    ]
    assert tally.total() == 2
