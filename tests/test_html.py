"""The HTML report: structure, escaping of hostile log text, and a real browser's rendering."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shadowscan.analyse.aggregate import Report, build_report
from shadowscan.match.catalogue import load_catalogue
from shadowscan.pipeline import ingest
from shadowscan.policy.config import load_policy, read_config
from shadowscan.report.html import to_html
from shadowscan.store.delta import EventStore
from tests.rulekit import hostile_service

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo"
CHARTS = ("chart-gauge", "chart-trend", "chart-services")
POLICY = """\
[organization]
name = "Acme & Co"

[[sanctioned]]
service = "chatgpt"
everyone = true
"""
#: A service whose name is markup, from a user's own rule folder.
EVIL_RULE = hostile_service('<svg onload=alert(3)>"AI"')
#: Squid lines whose user, URL and rejected text are markup and terminal escapes.
HOSTILE_LOG = (
    "1795077362.000    274 10.20.1.11 TCP_MISS/200 2211 POST "
    'http://x.chatgpt.com/backend-api/"><img src=x onerror=alert(1)> '
    "<script>alert(1)</script> HIER_DIRECT/chatgpt.com text/html\n"
    "1795077363.000    120 10.20.1.12 TCP_MISS/200 900 GET http://app.evil-ai.example/ "
    "mallory HIER_DIRECT/evil-ai.example text/html\n"
    'not squid "><img src=x onerror=alert(2)>\n'
    "\x1b[31mred <script>alert(4)</script>\n"
)


def _store(tmp: Path, logs: list[Path], catalogue=None) -> EventStore:
    store = EventStore(tmp / "store")
    ingest(logs, store, catalogue=catalogue)
    return store


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> EventStore:
    return _store(tmp_path_factory.mktemp("demo"), [DEMO])


@pytest.fixture(scope="module")
def plain(demo) -> Report:
    return build_report(demo, load_catalogue())


@pytest.fixture(scope="module")
def with_policy(demo, tmp_path_factory) -> Report:
    config = tmp_path_factory.mktemp("policy") / "shadowscan.toml"
    config.write_text(POLICY)
    catalogue = load_catalogue()
    policy = load_policy(config, read_config(config), catalogue)
    return build_report(demo, catalogue, policy=policy)


def _svg(page: str, css_class: str) -> str:
    match = re.search(rf'<svg class="{css_class}".*?</svg>', page, re.S)
    assert match, f"no {css_class} chart"
    return match[0]


@pytest.mark.parametrize("css_class", CHARTS)
def test_each_chart_is_a_labelled_scalable_svg(plain, css_class):
    chart = _svg(to_html(plain), css_class)
    assert re.match(
        r'<svg class="[^"]+" role="img" aria-label="[^"]+" viewBox="0 0 \d+ \d+"', chart
    )
    assert re.search(r"<title>[^<]+</title>", chart)


def test_the_page_is_one_html5_document_in_report_order(plain):
    page = to_html(plain)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    order = [
        "<h1>shadowscan report</h1>",
        "2026-10-21 10:32 to 2026-11-20 10:32 UTC",
        'class="figures"',
        "chart-gauge",
        "chart-trend",
        "chart-services",
        "<h2>AI services</h2>",
        "<h2>By category</h2>",
        "<h2>Top shadow identities</h2>",
        "<h2>Sanctioned grants and seats</h2>",
        "<h2>New in this period</h2>",
        "<h2>Weekly trend</h2>",
        "<h2>Notes</h2>",
        "<h2>Ingest health</h2>",
    ]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert "<h2>By department</h2>" not in page  # no directory, no departments
    assert "No policy file: nothing is sanctioned" in page


@pytest.mark.parametrize("fixture", ["plain", "with_policy"])
def test_it_loads_nothing_from_anywhere(fixture, request):
    page = to_html(request.getfixturevalue(fixture))
    for reference in (
        "src=",
        "href=",
        "url(",
        "@import",
        "<script",
        "<link",
        "http://",
        "https://",
    ):
        assert reference not in page.lower(), reference
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_every_service_appears_in_the_table_and_the_chart(plain):
    page = to_html(plain)
    chart = _svg(page, "chart-services")
    for name in plain.services["name"]:
        assert f"<td>{html.escape(name)}</td>" in page
        assert f">{html.escape(name)}</text>" in chart


def test_the_headline_numbers_without_a_policy(plain):
    page = to_html(plain)
    h = plain.headline
    assert (h.population, h.ai_users, h.shadow_users) == (14, 12, 12)
    for figure in ("14", "12", "85.7% of population", "100.0% of AI users"):
        assert figure in page
    assert "no policy file" in page
    assert html.escape(h.sentence) in page


def test_the_headline_numbers_with_a_policy(with_policy):
    page = to_html(with_policy)
    assert "<h1>Acme &amp; Co</h1>" in page
    assert '<span class="value">6</span>' in page  # shadow users
    for figure in ("42.9% of population, 50.0% of AI users", "100.0%", "not logged"):
        assert figure in page
    assert html.escape(with_policy.headline.sentence) in page
    chatgpt = re.search(r"<tr><td>ChatGPT</td>.*?</tr>", page)[0]
    assert "<td>sanctioned</td>" in chatgpt
    assert "<td>everyone</td>" in page  # the grant in the seats table
    gauge = _svg(page, "chart-gauge")
    assert "Shadow AI users: 6 (42.9%)" in gauge and "No AI use seen: 2" in gauge
    notes = page.index("<h2>Notes</h2>")
    assert page.index("<h2>Weekly trend</h2>") < notes < page.index("<h2>Ingest health</h2>")
    for note in with_policy.notes:
        assert f"<li>{html.escape(note)}</li>" in page


def test_the_trend_has_a_point_per_day_and_date_labels(plain):
    chart = _svg(to_html(plain), "chart-trend")
    assert chart.count("<polyline") == 2
    assert chart.count("<circle") == 2 * 5  # 2026-11-16 to 2026-11-20
    for day in ("2026-11-16", "2026-11-20"):
        assert f">{day}</text>" in chart


def test_one_day_is_drawn_as_dots(demo):
    report = build_report(demo, load_catalogue(), since="2026-11-17", until="2026-11-17T23:59:59")
    chart = _svg(to_html(report), "chart-trend")
    assert chart.count("<circle") == 2
    assert ">2026-11-17</text>" in chart


def test_a_period_without_events_still_renders(demo):
    report = build_report(demo, load_catalogue(), since="2020-01-01", until="2020-01-02")
    page = to_html(report)
    assert "No AI use in this period." in _svg(page, "chart-trend")
    assert "No AI services seen." in _svg(page, "chart-services")
    assert "no one seen" in _svg(page, "chart-gauge")
    assert '<span class="value">-</span>' in page  # a percentage of nothing


def test_hostile_log_text_is_shown_never_run(tmp_path):
    log = tmp_path / "access.log"
    log.write_text(HOSTILE_LOG)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "evil-ai.toml").write_text(EVIL_RULE)
    catalogue = load_catalogue(extra=[rules])
    page = to_html(build_report(_store(tmp_path, [log], catalogue), catalogue))
    for live in ("<script", "<img", "<svg onload", "\x1b"):
        assert live not in page, live
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the user name
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page  # a rejected line
    assert "\\x1b[31mred &lt;script&gt;alert(4)&lt;/script&gt;" in page
    name = "&lt;svg onload=alert(3)&gt;&quot;AI&quot;"
    assert f">{name}</text>" in _svg(page, "chart-services")


def test_a_long_rejected_line_is_clipped(tmp_path):
    log = tmp_path / "access.log"
    good = "1795077362.000    274 10.20.1.11 TCP_MISS/200 2211 GET http://chatgpt.com/ alice - -\n"
    log.write_text(good + "x" * 500 + "\n")
    page = to_html(build_report(_store(tmp_path, [log]), load_catalogue()))
    sample = re.search(r"<code>(line 2: x+…)</code>", page)
    assert sample and len(sample[1]) == 100


def _chromium() -> str:
    """The browser, else a skip (a failure when SHADOWSCAN_REQUIRE_TOOLS=1)."""
    found = shutil.which("chromium")
    if found is None and os.path.exists("/usr/bin/chromium"):
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("SHADOWSCAN_REQUIRE_TOOLS") == "1":
            pytest.fail("chromium is required (SHADOWSCAN_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("chromium not installed")
    return found


def _browse(tmp_path: Path, page: str, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on the page, offline, with a throwaway profile."""
    file = tmp_path / "report.html"
    file.write_text(page, encoding="utf-8")
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
        file.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)


def test_chromium_renders_a_screenshot(with_policy, tmp_path):
    png = tmp_path / "report.png"
    _browse(tmp_path, to_html(with_policy), f"--screenshot={png}", "--window-size=1200,2000")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000


def test_chromium_keeps_the_three_charts_in_its_dom(with_policy, tmp_path):
    dom = _browse(tmp_path, to_html(with_policy), "--dump-dom").stdout
    for css_class in CHARTS:
        assert f'<svg class="{css_class}" role="img"' in dom
    assert "<h2>Ingest health</h2>" in dom  # the whole page parsed, to the end


def test_no_planted_script_runs_in_a_real_browser(tmp_path):
    mark = "document.body.setAttribute('data-pwned','{n}')"
    log = tmp_path / "access.log"
    log.write_text(
        "1795077362.000 274 10.20.1.11 TCP_MISS/200 2211 GET "
        f"http://x.chatgpt.com/<script>{mark.format(n=1)}</script> "
        f"<img/src=x/onerror={mark.format(n=2)}> HIER_DIRECT/chatgpt.com text/html\n"
        f"<svg/onload={mark.format(n=3)}>\n"
    )
    page = to_html(build_report(_store(tmp_path, [log]), load_catalogue()))
    dom = _browse(tmp_path, page, "--dump-dom").stdout
    assert "data-pwned=" not in dom
    assert "&lt;img/src=x/onerror=" in dom  # shown as text
    control = "<!DOCTYPE html><html><body><script>" + mark.format(n=9) + "</script></body></html>"
    assert 'data-pwned="9"' in _browse(tmp_path, control, "--dump-dom").stdout  # JS does run
