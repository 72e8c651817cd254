"""The catalogue compiled into Polars joins.

Host rules become a table keyed by pattern. Each unique host whose last two
labels end some pattern is expanded into its own suffixes on label
boundaries, so `chatgpt.com` can match `a.chatgpt.com` but never
`fakechatgpt.com` or `chatgpt.com.evil.example`; the most specific rule wins
(more labels, then exact before suffix) and an exclusion beats them all. Path
rules, for shared hosts such as `www.bing.com/chat`, are a second join on the
few events whose host has one.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from shadowscan.enrich.hosts import spelled
from shadowscan.formats.fields import split_url
from shadowscan.match.catalogue import Catalogue

MATCH_COLUMNS = {
    "service_id": pl.String,
    "signal": pl.String,
    "plan": pl.String,
    "rule": pl.String,
}


@dataclass(frozen=True)
class Match:
    service_id: str
    signal: str
    plan: str
    rule: str


class HostMatcher:
    """Match hosts (and URL paths) against a catalogue."""

    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        rules = [
            (r.pattern, r.kind, r.service_id, r.signal, r.plan, False) for r in catalogue.host_rules
        ] + [(r.pattern, r.kind, r.service_id, None, None, True) for r in catalogue.exclusions]
        self._hosts = pl.DataFrame(
            rules,
            schema={
                "pattern": pl.String,
                "kind": pl.String,
                "service_id": pl.String,
                "signal": pl.String,
                "plan": pl.String,
                "exclude": pl.Boolean,
            },
            orient="row",
        ).with_columns(labels=pl.col("pattern").str.count_matches(".", literal=True) + 1)
        self._paths = pl.DataFrame(
            [(r.host, r.prefix, r.service_id, r.signal, r.plan) for r in catalogue.path_rules],
            schema={
                "host": pl.String,
                "prefix": pl.String,
                "service_id": pl.String,
                "signal": pl.String,
                "plan": pl.String,
            },
            orient="row",
        )
        self._label_counts = sorted(set(self._hosts["labels"].to_list()))
        #: the last two labels of every pattern: a host ending otherwise matches nothing
        self._roots = self._hosts.select(_last_two(pl.col("pattern")).unique())["pattern"]

    @property
    def path_hosts(self) -> pl.Series:
        """Hosts that only some paths make an AI service (`www.bing.com`)."""
        return self._paths["host"].unique()

    def path_prefixes(self, host: str) -> list[str]:
        return sorted(self._paths.filter(pl.col("host") == host)["prefix"].to_list())

    def candidates(self, hosts: pl.Series, *, covering: bool = True) -> pl.DataFrame:
        """Every host rule and exclusion whose pattern ends each host on a label boundary.

        Columns: host, pattern, labels, kind, whole (the host is the pattern
        itself), service_id, signal, plan, exclude. An `exact` rule only
        covers its own host; `covering=False` keeps the ones that do not, for
        explaining why they did not apply.
        """
        unique = hosts.drop_nulls().unique().to_frame("host")
        unique = unique.filter(_last_two(pl.col("host")).is_in(self._roots.implode()))
        if unique.is_empty():
            return self._hosts.clear().with_columns(host=pl.lit(None, pl.String), whole=True)
        labels = pl.col("host").str.split(".")
        count = labels.list.len()
        suffixes = pl.concat(
            unique.filter(count >= n).select(
                "host",
                labels.list.slice(-n).list.join(".").alias("pattern"),
                (count == n).alias("whole"),
            )
            for n in self._label_counts
        )
        hits = suffixes.join(self._hosts, on="pattern")
        return hits.filter((pl.col("kind") == "suffix") | pl.col("whole")) if covering else hits

    def match_hosts(self, hosts: pl.Series) -> pl.DataFrame:
        """One row per matched unique host: host, service_id, signal, plan, rule.

        The most specific rule wins (more labels, then exact before suffix);
        a host any exclusion covers matches nothing.
        """
        hits = self.candidates(hosts)
        excluded = hits.filter("exclude").select("host").unique()
        best = (
            hits.filter(~pl.col("exclude"))
            .join(excluded, on="host", how="anti")
            .sort(
                ["host", "labels", pl.col("kind") == "exact", "service_id"],
                descending=[False, True, True, False],
            )
            .unique("host", keep="first", maintain_order=True)
        )
        return best.select(
            "host",
            "service_id",
            "signal",
            "plan",
            (pl.col("kind") + pl.lit(":") + pl.col("pattern")).alias("rule"),
        )

    def match_events(self, events: pl.DataFrame) -> pl.DataFrame:
        """`events` (with `host`, `url_path`) plus the match columns; unmatched rows get nulls."""
        indexed = events.with_row_index("_row")
        hosts = events["host"].drop_nulls().unique()  # each host's candidates built once
        matched = indexed.join(self.match_hosts(hosts), on="host", how="left")
        if self._paths.height and "url_path" in events.columns:
            matched = self._apply_paths(matched)
        return matched.sort("_row").drop("_row")

    def paths_for(self, events: pl.DataFrame) -> pl.DataFrame:
        """Every path rule covering each event (`_row`, `host`, `url_path`), longest first."""
        return (
            events.select("_row", "host", "url_path")
            .join(self._paths, on="host")
            .filter(_under(pl.col("url_path"), pl.col("prefix")))
            .sort(pl.col("prefix").str.len_bytes(), "service_id", descending=[True, False])
        )

    def _apply_paths(self, matched: pl.DataFrame) -> pl.DataFrame:
        on_shared = matched.filter(pl.col("host").is_in(self._paths["host"].implode()))
        if on_shared.is_empty():
            return matched
        excluded = self.candidates(on_shared["host"]).filter("exclude").select("host")
        hits = (
            self.paths_for(on_shared.join(excluded, on="host", how="anti"))
            .unique("_row", keep="first", maintain_order=True)
            .select(
                "_row",
                *(pl.col(c).alias(f"_p_{c}") for c in ("service_id", "signal", "plan")),
                (pl.lit("path:") + pl.col("host") + pl.col("prefix")).alias("_p_rule"),
            )
        )
        out = matched.join(hits, on="_row", how="left")
        override = pl.col("_p_service_id").is_not_null()
        return out.with_columns(
            pl.when(override).then(pl.col(f"_p_{c}")).otherwise(pl.col(c)).alias(c)
            for c in MATCH_COLUMNS
        ).drop([f"_p_{c}" for c in MATCH_COLUMNS])

    def match_inputs(self, texts: list[str]) -> pl.DataFrame:
        """Hosts or URLs typed by a person: input, host, url_path and the match columns."""
        authority, path = split_url(pl.col("input"))
        frame = pl.DataFrame({"input": texts}, schema={"input": pl.String}).with_columns(
            authority.alias("host_raw"), path.alias("url_path")
        )
        frame = frame.with_columns(pl.coalesce("host_raw", "input").alias("host_raw"))
        hosts = spelled(frame.select("host_raw").unique().drop_nulls()).select("host_raw", "host")
        frame = frame.join(hosts, on="host_raw", how="left", maintain_order="left")
        return self.match_events(frame.drop("host_raw"))

    def match_one(self, host_or_url: str) -> Match | None:
        """Match a single host or URL, the way events are matched."""
        hit = self.match_inputs([host_or_url]).row(0, named=True)
        if hit["service_id"] is None:
            return None
        return Match(hit["service_id"], hit["signal"], hit["plan"], hit["rule"])


def _last_two(host: pl.Expr) -> pl.Expr:
    return host.str.extract(r"([^.]*\.[^.]*)$").alias(host.meta.output_name())


def _under(path: pl.Expr, prefix: pl.Expr) -> pl.Expr:
    """`path` is `prefix` or below it: `/chat` covers `/chat/x` and `/chat?q`, not `/chatter`."""
    next_char = path.str.slice(prefix.str.len_chars(), 1)
    boundary = prefix.str.ends_with("/") | next_char.is_in(["", "/", "?", "#", ";"])
    return path.str.starts_with(prefix) & boundary


class AiTally:
    """Counts a file's AI events chunk by chunk.

    Each chunk's unique hosts are matched as the chunk comes (vectorised, like
    the rest of ingest), so nothing per host outlives its chunk: a log naming
    millions of hosts costs no more memory than one naming a few. An event is
    AI when its host matches, or when a path rule covers its request on a host
    no exclusion covers: `match_events`' answer, counted without building it
    (its fixed cost per call was most of the tally on logs of long lines).
    """

    def __init__(self, matcher: HostMatcher):
        self.matcher = matcher
        self._total = 0
        self._path_hosts = matcher.path_hosts.implode()
        #: path rules' hosts an exclusion covers: no path rule applies there
        excluded = matcher.candidates(matcher.path_hosts).filter("exclude")["host"]
        self._excluded = excluded.unique().implode()

    def add(self, events: pl.DataFrame) -> None:
        needed = events.select("host", "url_path")  # filtering every column would copy them
        counts = needed.group_by("host").len()
        matched = self.matcher.match_hosts(counts["host"])["host"].implode()
        self._total += int(counts.filter(pl.col("host").is_in(matched))["len"].sum())
        host = pl.col("host")
        by_path = (
            host.is_in(self._path_hosts)
            & pl.col("url_path").is_not_null()
            & ~host.is_in(matched)
            & ~host.is_in(self._excluded)
        )
        requests = needed.filter(by_path).group_by("host", "url_path").len()
        if requests.height:  # each distinct request once, weighted by its count
            covered = self.matcher.paths_for(requests.with_row_index("_row"))["_row"].unique()
            self._total += int(requests["len"].gather(covered).sum())

    def total(self) -> int:
        return self._total
