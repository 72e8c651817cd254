"""`shadowscan discover`: hosts no rule knows that look like AI use, with the reasons.

Candidates are leads for a rule author, never counted as use. Three signals,
each computed in Polars over the stored events of the period:

- **API shape**: request paths only model APIs have (`/v1/chat/completions`,
  `/v1/messages`, `/openai/deployments/…`, `:generateContent`, Ollama's
  `/api/generate`): a self-hosted gateway or an unknown provider.
- **AI-like name**: a registered domain under `.ai`, or with `gpt`, `llm`,
  `chat`, `copilot` or `genai` in its name, used by several identities.
- **Co-visited**: hosts an identity reaches in the same minutes as a known AI
  service far more often than its minutes overall would predict (a new
  service's CDN, or an assistant embedded in a page).
"""

from __future__ import annotations

import polars as pl

from shadowscan.analyse.aggregate import ai_events
from shadowscan.analyse.period import Period
from shadowscan.match.catalogue import USE_SIGNALS, Catalogue
from shadowscan.match.matcher import HostMatcher
from shadowscan.store.delta import EventStore

API_PATHS = (
    r"(?i)(/chat/completions|/v1/completions|/v1/embeddings|/v1/responses|/v1/messages"
    r"|/openai/deployments/|:(stream)?generatecontent|/api/generate|/api/chat([/?]|$)"
    r"|/model/[^/]+/invoke)"
)
AI_NAME = r"(?i)(\.ai$|gpt|llm|chat|copilot|genai)"
#: a co-visited host's share of AI minutes must be this many times the baseline
MIN_LIFT = 3.0
WEIGHTS = {"api-shape": 3, "co-visited": 2, "ai-name": 1}

COLUMNS = {
    "host": pl.String,
    "registered_domain": pl.String,
    "score": pl.Int64,
    "reasons": pl.List(pl.String),
    "identities": pl.UInt32,
    "events": pl.UInt32,
    "example_path": pl.String,
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
}


def discover(
    store: EventStore,
    catalogue: Catalogue,
    period: Period,
    *,
    min_identities: int = 2,
    limit: int | None = 50,
) -> pl.DataFrame:
    """Ranked candidate hosts: the COLUMNS above, best first (all of them if `limit` is None)."""
    scoped = store.events().filter(period.filter() & pl.col("host").is_not_null())
    unknown = _unknown_hosts(scoped, HostMatcher(catalogue))
    events = scoped.join(unknown.lazy(), on="host", how="semi").with_columns(
        pl.col("ts").dt.truncate("1m").alias("minute")
    )
    hosts = _host_summary(events)
    reasons = [
        _api_shape(events),
        _ai_name(hosts, min_identities),
        _co_visited(events, scoped, store, catalogue, period, min_identities),
    ]
    found = (
        pl.concat(reasons)
        .sort("reason")
        .group_by("host")
        .agg(
            pl.col("reason").replace_strict(WEIGHTS).sum().cast(pl.Int64).alias("score"),
            (pl.col("reason") + pl.lit(": ") + pl.col("detail")).alias("reasons"),
        )
    )
    ranked = (
        found.join(hosts, on="host")
        .join(_examples(events), on="host", how="left")
        .sort(["score", "identities", "events", "host"], descending=[True, True, True, False])
    )
    ranked = ranked if limit is None else ranked.head(limit)
    return ranked.select(list(COLUMNS)).cast(COLUMNS)


def _unknown_hosts(scoped: pl.LazyFrame, matcher: HostMatcher) -> pl.DataFrame:
    hosts = scoped.select(pl.col("host").unique()).collect()["host"]
    known = pl.concat([matcher.match_hosts(hosts)["host"], matcher.path_hosts])
    return hosts.filter(~hosts.is_in(known.implode())).to_frame()


def _host_summary(events: pl.LazyFrame) -> pl.DataFrame:
    return (
        events.group_by("host")
        .agg(
            pl.col("registered_domain").drop_nulls().first(),
            pl.col("identity").n_unique().cast(pl.UInt32).alias("identities"),
            pl.len().cast(pl.UInt32).alias("events"),
            pl.col("ts").min().alias("first_seen"),
            pl.col("ts").max().alias("last_seen"),
        )
        .collect()
    )


def _examples(events: pl.LazyFrame) -> pl.DataFrame:
    """One path per host to show: a model-API one when there is one."""
    api = pl.col("url_path").str.contains(API_PATHS).fill_null(False)
    return (
        events.filter(pl.col("url_path").is_not_null())
        .group_by("host")
        .agg(pl.col("url_path").sort_by(~api, pl.col("url_path")).first().alias("example_path"))
        .collect()
    )


def _api_shape(events: pl.LazyFrame) -> pl.DataFrame:
    return (
        events.filter(pl.col("url_path").str.contains(API_PATHS))
        .group_by("host")
        .agg(pl.len().alias("n"), pl.col("url_path").min().alias("example_path"))
        .select(
            "host",
            pl.lit("api-shape").alias("reason"),
            (
                pl.col("n").cast(pl.String)
                + " model-API requests, e.g. "
                + pl.col("example_path").str.slice(0, 80)
            ).alias("detail"),
        )
        .collect()
    )


def _ai_name(hosts: pl.DataFrame, min_identities: int) -> pl.DataFrame:
    domain = pl.coalesce("registered_domain", "host")
    return hosts.filter(
        domain.str.contains(AI_NAME) & (pl.col("identities") >= min_identities)
    ).select(
        "host",
        pl.lit("ai-name").alias("reason"),
        (
            domain
            + pl.lit(" looks like an AI service, used by ")
            + pl.col("identities").cast(pl.String)
            + " identities"
        ).alias("detail"),
    )


def _co_visited(
    events: pl.LazyFrame,
    scoped: pl.LazyFrame,
    store: EventStore,
    catalogue: Catalogue,
    period: Period,
    min_identities: int,
) -> pl.DataFrame:
    ai = ai_events(store, catalogue, period).filter(pl.col("signal").is_in(USE_SIGNALS))
    ai_minutes = ai.select("identity", pl.col("ts").dt.truncate("1m").alias("minute")).unique()
    if ai_minutes.is_empty():
        return pl.DataFrame(schema={"host": pl.String, "reason": pl.String, "detail": pl.String})
    all_minutes = (
        scoped.select("identity", pl.col("ts").dt.truncate("1m").alias("minute"))
        .unique()
        .select(pl.len())
        .collect()
        .item()
    )
    baseline = ai_minutes.height / max(all_minutes, 1)
    visits = events.select("host", "identity", "minute").unique()
    shared = visits.join(ai_minutes.lazy(), on=["identity", "minute"], how="inner")
    per_host = (
        visits.group_by("host")
        .agg(pl.len().alias("minutes"))
        .join(
            shared.group_by("host").agg(
                pl.len().alias("ai_minutes"), pl.col("identity").n_unique().alias("people")
            ),
            on="host",
        )
        .with_columns((pl.col("ai_minutes") / pl.col("minutes")).alias("share"))
        .collect()
    )
    return per_host.filter(
        (pl.col("people") >= min_identities)
        & (pl.col("share") >= 0.5)
        & (pl.col("share") >= MIN_LIFT * baseline)
    ).select(
        "host",
        pl.lit("co-visited").alias("reason"),
        (
            (pl.col("share") * 100).round(0).cast(pl.Int64).cast(pl.String)
            + pl.lit("% of its minutes are AI minutes, for ")
            + pl.col("people").cast(pl.String)
            + " identities"
        ).alias("detail"),
    )
