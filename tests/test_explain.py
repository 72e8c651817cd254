"""`rules explain`: the winning rule, and for every rival the reason it lost."""

from __future__ import annotations

from pathlib import Path

from shadowscan.match.catalogue import load_catalogue
from shadowscan.match.explain import explain
from shadowscan.match.matcher import HostMatcher
from tests.rulekit import rules_dir, service_toml

MATCHER = HostMatcher(load_catalogue())


def _lost(text: str, matcher: HostMatcher = MATCHER) -> dict[str, str]:
    return {f"{r.service_id} {r.kind} {r.pattern}": why for r, why in explain(matcher, text).rivals}


def test_a_path_rule_beats_the_host_rule_and_says_so() -> None:
    e = explain(MATCHER, "https://chatgpt.com/backend-anon/conversation")
    assert (e.winner.service_id, e.winner.kind, e.winner.plan) == ("chatgpt", "path", "personal")
    assert e.winner.where.endswith("chatgpt.toml:" + e.winner.where.rsplit(":", 1)[1])
    assert "covers the request" in _lost(e.input)["chatgpt suffix chatgpt.com"]


def test_a_more_specific_rule_wins_and_the_less_specific_is_named() -> None:
    e = explain(MATCHER, "sora.chatgpt.com")
    assert (e.winner.service_id, e.winner.kind) == ("sora", "exact")
    assert _lost("sora.chatgpt.com")["chatgpt suffix chatgpt.com"].startswith("less specific")


def test_an_exact_rule_does_not_cover_subdomains() -> None:
    e = explain(MATCHER, "x.chat.openai.com")
    assert e.winner is None
    assert _lost(e.input)["chatgpt exact chat.openai.com"] == "exact: covers only chat.openai.com"


def test_a_shared_host_without_a_path_lists_the_paths_that_count() -> None:
    e = explain(MATCHER, "www.bing.com")
    assert e.winner is None and "/chat" in e.notes[0] and "sees no path" in e.notes[0]


def test_a_tie_and_an_exclusion_are_explained(tmp_path: Path) -> None:
    exclude = '\n[[exclude]]\npattern = "status.example-ai.example"\nreason = "status page"\n'
    local = rules_dir(
        tmp_path,
        {
            "a-ai.toml": service_toml("example-ai.example", extra=exclude),
            "b-ai.toml": service_toml("example-ai.example"),
        },
    )
    matcher = HostMatcher(load_catalogue(extra=[local]))
    e = explain(matcher, "app.example-ai.example")
    assert e.winner.service_id == "a-ai"
    assert _lost(e.input, matcher)["b-ai suffix example-ai.example"].startswith("a tie with a-ai")
    excluded = explain(matcher, "status.example-ai.example")
    assert excluded.winner is None and "status page" in excluded.notes[0]
    assert set(_lost(excluded.input, matcher).values()) == {"the host is excluded"}


def test_lookalikes_and_garbage_match_nothing() -> None:
    for text in ("fakeclaude.ai", "claude.ai.evil.example", "", "/just/a/path", "[::1]:443"):
        e = explain(MATCHER, text)
        assert e.winner is None and e.rivals == [], text
