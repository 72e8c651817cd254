"""Demand, risk, money, champions and benchmark on a hand-made organisation, worked by hand.

Globex: ten people in three departments, EUR prices.

    Engineering ann ben cat dev | Legal eve fay gus | Sales hal ivy jon
    chatgpt seats: ann ben eve hal, 30 a month    github-copilot seats: ann cat dev, 19
    claude: not bought, priced 25 (a candidate)   deepseek: not bought, no price

Zeek HTTP lines, one per person and day (November 2026), with upload sizes:

    ann  chatgpt days 3 4 5, github-copilot day 3    sanctioned; 3 active days (regular)
    cat  github-copilot day 6                        sanctioned
    eve  chatgpt day 10                              sanctioned
    ben  claude days 3 4 5 6, 1000 B each            shadow, regular (4 days)
    fay  claude days 7 8 9, 2000 B each              shadow, regular (3 days)
    jon  claude day 10, 500 B                        shadow, one-off
    gus  chatgpt days 11 12, 300 B each              shadow (no seat), 2 days
    ivy  deepseek days 3 4 5, 700 B each             shadow, regular
    ben hal dev: no sanctioned use                   unused seats: chatgpt 2, copilot 1

So:
- unused seat cost = 2 × 30 + 1 × 19 = 79 EUR;
- demand, by regular shadow users: claude 3 users (2 regular; Engineering, Legal, Sales
  one each; 10,500 B; 3 × 25 = 75 EUR), deepseek 1 (1 regular; Sales; 2,100 B; no
  price), chatgpt 1 (0 regular; Legal; 600 B; bought; 1 × 30 = 30 EUR);
- cost to cover = 75 + 30 = 105 EUR for 4 priced shadow users; deepseek unpriced;
- risk: every shadow service trains on consumer data by default: 5 users, 13,200 B;
  US 4 users 11,100 B (chatgpt, claude), CN 1 user 2,100 B (deepseek);
- champions (3+ days): Engineering ben (4 days, shadow), ann (3, 4 events);
  Legal fay; Sales ivy;
- benchmark: 5 of 10 shadow (50.0%), 6 of 10 hold a paid seat (60.0%).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowscan.analyse import gap
from shadowscan.analyse.classify import classify
from shadowscan.analyse.decisions import decide
from shadowscan.cli.main import cli
from shadowscan.match.catalogue import load_catalogue
from shadowscan.policy.config import Grant, Policy
from tests.matched import MATCHED_SCHEMA, weighed
from tests.rulekit import hostile_service

PERIOD = ["--since", "2026-11-01", "--until", "2026-11-30T23:59:59Z"]
DIRECTORY = """user,department
ann,Engineering
ben,Engineering
cat,Engineering
dev,Engineering
eve,Legal
fay,Legal
gus,Legal
hal,Sales
ivy,Sales
jon,Sales
"""
POLICY = """
[organization]
name = "Globex"
currency = "EUR"

[directory]
file = "directory.csv"

[[sanctioned]]
service = "chatgpt"
seats = "chatgpt.csv"

[[sanctioned]]
service = "github-copilot"
seats = "copilot.csv"

[prices]
chatgpt = 30
github-copilot = 19
claude = 25
"""
HOSTS = {
    "chatgpt": ("chatgpt.com", "/backend-api/conversation"),
    "github-copilot": ("api.business.githubcopilot.com", "/chat/completions"),
    "claude": ("claude.ai", "/api/organizations/1/chat_conversations/2/completion"),
    "deepseek": ("chat.deepseek.com", "/api/v0/chat/completion"),
}
#: (user, service, days of November, upload bytes per request)
USE = [
    ("ann", "chatgpt", (3, 4, 5), 100),
    ("ann", "github-copilot", (3,), 100),
    ("cat", "github-copilot", (6,), 100),
    ("eve", "chatgpt", (10,), 100),
    ("ben", "claude", (3, 4, 5, 6), 1000),
    ("fay", "claude", (7, 8, 9), 2000),
    ("jon", "claude", (10,), 500),
    ("gus", "chatgpt", (11, 12), 300),
    ("ivy", "deepseek", (3, 4, 5), 700),
]


def _line(user: str, service: str, day: int, upload: int, host=None, uri=None) -> str:
    ts = datetime(2026, 11, day, 10, tzinfo=UTC).timestamp()
    host_, uri_ = HOSTS.get(service, (host, uri))
    return json.dumps(
        {
            "ts": ts,
            "uid": f"C{user}{day}",
            "id.orig_h": "10.1.1.1",
            "id.orig_p": 50000,
            "id.resp_h": "198.51.100.1",
            "id.resp_p": 80,
            "method": "POST",
            "host": host or host_,
            "uri": uri or uri_,
            "status_code": 200,
            "request_body_len": upload,
            "response_body_len": 10,
            "user_agent": "test",
            "username": user,
        }
    )


def _org(root: Path, policy: str = POLICY, extra: list[str] = (), people: str = "") -> Path:
    """Globex's files under `root` (`extra` log lines, `people` directory rows): the policy."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "directory.csv").write_text(DIRECTORY + people)
    (root / "chatgpt.csv").write_text("user\nann\nben\neve\nhal\n")
    (root / "copilot.csv").write_text("user\nann\ncat\ndev\n")
    lines = [_line(u, s, d, b) for u, s, days, b in USE for d in days]
    (root / "logs").mkdir(exist_ok=True)
    (root / "logs" / "http.log").write_text("\n".join([*lines, *extra]) + "\n")
    config = root / "shadowscan.toml"
    config.write_text(policy)
    return config


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def globex(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("globex")
    config = _org(root)
    store = root / "store"
    assert invoke("ingest", "-q", "--store", store, root / "logs").exit_code == 0
    return store, config


def _report(globex, *args, config=None):
    store, default = globex
    result = invoke("report", "--store", store, "--config", config or default, *PERIOD, *args)
    assert result.exit_code in (0, 3), result.output
    return result


def _json(globex, *args, config=None) -> dict:
    return json.loads(_report(globex, "--format", "json", *args, config=config).output)


def test_money_and_benchmark_equal_the_hand_worked_answer(globex):
    doc = _json(globex)
    head = doc["headline"]
    assert (head["currency"], head["unused_seat_cost_per_month"]) == ("EUR", 79.0)
    assert (head["shadow_users"], head["covered_people"], head["population"]) == (5, 6, 10)
    assert doc["money"] == {
        "currency": "EUR",
        "unused_seats": 3,
        "unused_seat_cost_per_month": 79.0,
        "cost_to_cover_per_month": 105.0,
        "priced_shadow_users": 4,
        "unpriced_services": ["deepseek"],
        "sentence": "3 unused seats cost 79 EUR a month; covering the 4 shadow users of "
        "priced services would cost 105 EUR a month (no price for deepseek).",
    }
    seats = {s["service_id"]: s for s in doc["seats"]}
    assert seats["chatgpt"]["unused_seats"] * 30 == seats["chatgpt"]["unused_seat_cost_per_month"]
    assert seats["github-copilot"]["unused_seat_cost_per_month"] == 19.0
    assert doc["benchmark"] == {
        "source": 'MIT NANDA, "The GenAI Divide: State of AI in Business 2025"',
        "survey_personal_ai_pct": 90,
        "survey_subscriptions_pct": 40,
        "shadow_users_pct": 50.0,
        "sanctioned_coverage_pct": 60.0,
        "sentence": "Survey: workers at over 90% of the companies asked use personal AI tools "
        "for work, while 40% of companies bought an official subscription. Here: 50.0% of your "
        "people used AI outside what you pay for; 60.0% hold a paid seat.",
    }


def test_demand_equals_the_hand_worked_answer(globex):
    demand = _json(globex)["demand"]
    assert [d["service_id"] for d in demand] == ["claude", "deepseek", "chatgpt"]
    claude, deepseek, chatgpt = demand
    assert claude == {
        "service_id": "claude",
        "name": "Claude",
        "shadow_users": 3,
        "regular_shadow_users": 2,
        "departments": [
            {"department": "Engineering", "shadow_users": 1},
            {"department": "Legal", "shadow_users": 1},
            {"department": "Sales", "shadow_users": 1},
        ],
        "sanctioned": False,
        "enterprise_plan": True,
        "consumer_training": "on-by-default",
        "headquarters": "US",
        "shadow_upload_bytes": 10500,
        "price_per_seat_month": 25.0,
        "cost_to_cover_per_month": 75.0,
        "sentence": "3 people use Claude outside what is paid for (2 regularly), in "
        "Engineering, Legal and Sales; an enterprise plan exists; covering them would "
        "cost 75 EUR a month.",
    }
    assert {k: deepseek[k] for k in ("shadow_users", "regular_shadow_users", "headquarters")} == {
        "shadow_users": 1,
        "regular_shadow_users": 1,
        "headquarters": "CN",
    }
    assert deepseek["departments"] == [{"department": "Sales", "shadow_users": 1}]
    assert (deepseek["price_per_seat_month"], deepseek["cost_to_cover_per_month"]) == (None, None)
    assert (deepseek["enterprise_plan"], deepseek["shadow_upload_bytes"]) == (None, 2100)
    assert "no price in the policy" in deepseek["sentence"]
    assert (chatgpt["shadow_users"], chatgpt["regular_shadow_users"]) == (1, 0)
    assert (chatgpt["sanctioned"], chatgpt["cost_to_cover_per_month"]) == (True, 30.0)
    assert chatgpt["shadow_upload_bytes"] == 600


def test_risk_and_champions_equal_the_hand_worked_answer(globex):
    doc = _json(globex)
    risk = doc["risk"]
    assert risk["training_users"] == 5 and risk["training_upload_bytes"] == 13200
    assert risk["training_services"] == ["chatgpt", "claude", "deepseek"]
    assert risk["by_headquarters"] == [
        {"headquarters": "US", "shadow_users": 4, "upload_bytes": 11100,
         "services": ["chatgpt", "claude"]},
        {"headquarters": "CN", "shadow_users": 1, "upload_bytes": 2100, "services": ["deepseek"]},
    ]  # fmt: skip
    champions = [(c["department"], c["identity"], c["active_days"]) for c in doc["champions"]]
    assert champions == [
        ("Engineering", "ben", 4),
        ("Engineering", "ann", 3),
        ("Legal", "fay", 3),
        ("Sales", "ivy", 3),
    ]
    ann = doc["champions"][1]
    assert (ann["services"], ann["events"], ann["shadow"]) == (
        ["chatgpt", "github-copilot"],
        4,
        False,
    )
    assert doc["regular_days"] == 3


def test_regular_days_moves_who_counts_as_regular(globex):
    doc = _json(globex, "--regular-days", "4")
    assert [(d["service_id"], d["regular_shadow_users"]) for d in doc["demand"]] == [
        ("claude", 1),
        ("chatgpt", 0),
        ("deepseek", 0),
    ]
    assert [c["identity"] for c in doc["champions"]] == ["ben"]


def test_pseudonyms_cover_the_champions(globex, monkeypatch):
    monkeypatch.setenv("SHADOWSCAN_PSEUDONYM_KEY", "correct horse battery staple 42")
    doc = _json(globex, "--pseudonymize")
    assert all(c["identity"].startswith("p-") for c in doc["champions"])


FIGURES = ["79 EUR", "105 EUR", "75 EUR", "30 EUR", "ben", "fay", "ivy", "CN", "deepseek"]


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html"])
def test_every_renderer_shows_the_same_figures(globex, fmt, tmp_path):
    out = tmp_path / "report"
    _report(globex, "--format", fmt, "-o", out)
    text = out.read_text()
    for figure in [*FIGURES, "50.0%", "60.0%", "90%", "40%", "GenAI Divide"]:
        assert figure in text, figure
    assert "Engineering, Legal and Sales" in text  # the demand sentence
    assert "Champions" in text and "Demand" in text and "Risk" in text
    if fmt == "html":
        assert 'class="chart-demand"' in text and 'class="money"' in text


def test_csv_writes_the_decision_tables(globex, tmp_path):
    tmp_path = tmp_path / "csv"
    _report(globex, "--format", "csv", "-o", tmp_path)
    demand = pl.read_csv(tmp_path / "demand.csv")
    assert demand["service_id"].to_list() == ["claude", "deepseek", "chatgpt"]
    assert demand["cost_to_cover_per_month"].to_list() == [75.0, None, 30.0]
    assert demand["departments"][0] == "Engineering: 1; Legal: 1; Sales: 1"
    metrics = dict(pl.read_csv(tmp_path / "decisions.csv").iter_rows())
    assert metrics["money.unused_seat_cost_per_month"] == "79.0"
    assert metrics["money.cost_to_cover_per_month"] == "105.0"
    assert metrics["risk.training_upload_bytes"] == "13200"
    assert metrics["benchmark.survey_personal_ai_pct"] == "90"
    countries = pl.read_csv(tmp_path / "risk_by_headquarters.csv")
    assert countries["shadow_users"].to_list() == [4, 1]
    champions = pl.read_csv(tmp_path / "champions.csv")
    assert champions["identity"].to_list() == ["ben", "ann", "fay", "ivy"]
    headline = dict(pl.read_csv(tmp_path / "headline.csv").iter_rows())
    assert headline["unused_seat_cost_per_month"] == "79.0" and headline["currency"] == "EUR"


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ("unused-seat-cost>78", True),
        ("unused-seat-cost>79", False),
        ("training-upload-mb>0.013", True),
        ("training-upload-mb>0.0133", False),
    ],
)
def test_fail_on_money_and_training_uploads(globex, condition, holds):
    result = _report(globex, "--format", "json", "--fail-on", condition)
    assert result.exit_code == (3 if holds else 0)


def test_without_prices_money_is_null_and_the_report_says_how(globex, tmp_path):
    config = tmp_path / "shadowscan.toml"
    text = POLICY.split("[prices]")[0].replace('currency = "EUR"\n', "")
    config.write_text(text.replace('"directory.csv"', f'"{globex[1].parent}/directory.csv"')
                      .replace('"chatgpt.csv"', f'"{globex[1].parent}/chatgpt.csv"')
                      .replace('"copilot.csv"', f'"{globex[1].parent}/copilot.csv"'))  # fmt: skip
    doc = _json(globex, config=config)
    assert doc["headline"]["unused_seat_cost_per_month"] is None
    assert doc["money"]["cost_to_cover_per_month"] is None
    assert all(d["cost_to_cover_per_month"] is None for d in doc["demand"])
    assert "[prices]" in doc["money"]["sentence"]
    held = _report(globex, "--fail-on", "unused-seat-cost>0", config=config)
    assert held.exit_code == 0  # unknown is not over any threshold


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ("claud = 25", "Did you mean claude"),
        ("claude = -1", "zero or more"),
        ('claude = "25"', "must be a number"),
        ("claude = true", "must be a number"),
        ("claude = nan", "must be a number"),
    ],
)
def test_a_price_mistake_is_one_error(globex, tmp_path, prices, message):
    config = _org(tmp_path, POLICY.split("[prices]")[0] + "[prices]\n" + prices + "\n")
    result = invoke("report", "--store", globex[0], "--config", config)
    assert result.exit_code == 1
    assert message in result.output and "[prices]" in result.output
    assert result.output.count("error:") == 1 and "help:" in result.output


@pytest.mark.parametrize("currency", ['"usd"', '"DOLLARS"', "840"])
def test_a_currency_that_is_not_iso_4217_is_one_error(globex, tmp_path, currency):
    config = _org(tmp_path, POLICY.replace('"EUR"', currency))
    result = invoke("report", "--store", globex[0], "--config", config)
    assert result.exit_code == 1 and "ISO 4217" in result.output and "help:" in result.output


#: A service from a user's rule folder whose name is markup, a formula and a terminal escape.
EVIL_RULE = hostile_service('=HYPERLINK("x")[bold red]Evil[/]<script>alert(1)</script>')
EVIL_USER = '=hyperlink("y")[blink]<b>mallory</b>'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    rules = root / "rules"
    rules.mkdir()
    (rules / "evil-ai.toml").write_text(EVIL_RULE)
    extra = [
        _line(EVIL_USER, "evil-ai", day, 10, "app.evil-ai.example", "/chat") for day in (3, 4, 5)
    ]
    person = '"' + EVIL_USER.replace('"', '""') + '",Sales\n'
    config = _org(root, POLICY + "evil-ai = 5\n", extra, person)
    store = root / "store"
    result = invoke("ingest", "-q", "--store", store, "--rules", rules, root / "logs")
    assert result.exit_code == 0, result.output
    return store, config, rules


def test_hostile_names_and_identities_stay_inert(hostile, tmp_path):
    store, config, rules = hostile
    base = ["report", "--store", store, "--config", config, "--rules", rules, *PERIOD]
    doc = json.loads(invoke(*base, "--format", "json").output)
    evil = next(d for d in doc["demand"] if d["service_id"] == "evil-ai")
    assert evil["name"].startswith("=HYPERLINK") and evil["cost_to_cover_per_month"] == 5.0
    assert EVIL_USER in [c["identity"] for c in doc["champions"]]
    page = tmp_path / "r.html"
    invoke(*base, "--format", "html", "-o", page)
    html = page.read_text()
    assert "<script>alert(1)" not in html and "<b>mallory" not in html
    assert "&lt;b&gt;mallory&lt;/b&gt;" in html
    terminal = invoke(*base).output  # Rich markup shown literally, never interpreted
    assert "[bold red]Evil[/]" in terminal and "[blink]" in terminal
    invoke(*base, "--format", "csv", "-o", tmp_path / "csv")
    for name in ("demand", "champions"):
        cells = (tmp_path / "csv" / f"{name}.csv").read_text()
        assert "'=HYPERLINK" in cells or "'=hyperlink" in cells
        assert "\n=" not in cells and ",=" not in cells
    markdown = invoke(*base, "--format", "markdown").output
    assert "<script>" not in markdown and "\\[bold red\\]" in markdown


# The property: a random organisation, its seats and prices, and random use.
SERVICES = ["chatgpt", "claude", "deepl"]
PEOPLE = [f"p{i}" for i in range(8)]
T0 = datetime(2026, 11, 2, tzinfo=UTC)
CATALOGUE = load_catalogue()
price = st.one_of(
    st.integers(0, 100), st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 2))
)


def _classified(policy: Policy, rows) -> pl.DataFrame:
    frame = pl.DataFrame(
        [
            (
                T0 + timedelta(days=day, hours=i),
                who,
                who,
                "10.0.0.1",
                service,
                "unknown",
                "suffix:x",
                "ui",
                100,
            )
            for i, (who, service, day) in enumerate(rows)
        ],
        schema=MATCHED_SCHEMA,
        orient="row",
    )
    names = pl.DataFrame({"service_id": SERVICES, "service_name": SERVICES, "category": "chat"})
    return weighed(classify(frame.join(names, on="service_id", how="left"), policy))


@settings(max_examples=100, deadline=None)
@given(
    seats=st.dictionaries(st.sampled_from(SERVICES), st.sets(st.sampled_from(PEOPLE), max_size=5)),
    prices=st.dictionaries(st.sampled_from(SERVICES), price),
    rows=st.lists(
        st.tuples(st.sampled_from(PEOPLE), st.sampled_from(SERVICES), st.integers(0, 6)),
        max_size=30,
    ),
)
def test_money_sums_over_grants_and_is_null_exactly_without_a_price(seats, prices, rows):
    grants = tuple(
        Grant(s, "seats", seats=pl.DataFrame({"user": sorted(held)}, schema={"user": pl.String}),
              source=s)
        for s, held in seats.items()
    )  # fmt: skip
    directory = pl.DataFrame({"user": PEOPLE, "department": ["A", "B"] * 4})
    prices = {k: float(v) for k, v in prices.items()}  # as read_prices gives them
    policy = Policy(Path("p.toml"), directory=directory, grants=grants, prices=prices)
    classified = _classified(policy, rows)
    table = gap.seats(classified, policy, len(PEOPLE))
    head = gap.headline(classified, policy, observed=len(PEOPLE), seats=table)
    priced = [r for r in table.iter_rows(named=True) if r["service_id"] in prices]
    expected = sum(r["unused_seats"] * prices[r["service_id"]] for r in priced)
    if priced:
        assert head.unused_seat_cost_per_month == pytest.approx(expected, abs=0.01 * len(priced))
    else:
        assert head.unused_seat_cost_per_month is None
    d = decide(classified, policy, CATALOGUE, head, table)
    for row in d.demand.iter_rows(named=True):
        if row["service_id"] in prices:
            want = row["shadow_users"] * prices[row["service_id"]]
            assert row["cost_to_cover_per_month"] == pytest.approx(want, abs=0.01)
        else:
            assert row["cost_to_cover_per_month"] is None
    assert (d.money.cost_to_cover_per_month is None) == d.demand.filter(
        pl.col("price_per_seat_month").is_not_null()
    ).is_empty()
