"""Files whose lines come in several formats: a syslog server's one file for many devices.

rsyslog or syslog-ng collecting from a FortiGate that sends both key=value and
CEF, or from a PAN-OS firewall and a proxy, writes them into one file. No single
parser reads such a file, so detection builds a `MixedFormat` of the formats
that together read its first lines, and each line goes to the first of them
that accepts it.
"""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext


class MixedFormat(LogFormat):
    """Several formats tried in turn on each chunk, each on the lines the ones before
    did not accept.

    A line one of them accepts is that format's event, labelled with its name in
    `source_format`. A line none accepts is rejected, unless some format passed
    it over as a line of its own that is no event (a FortiGate `type=event`
    record, a W3C directive): then it is skipped, as that format alone would.
    Each format keeps its own parse state.
    """

    title = "several formats, line by line"

    def __init__(self, parts: list[LogFormat]):
        self.parts = tuple(parts)
        self.name = "+".join(fmt.name for fmt in parts)
        self.samples = tuple(line for fmt in parts for line in fmt.samples)
        self.fills = tuple(dict.fromkeys(field for fmt in parts for field in fmt.fills))
        replays = [fmt.replay for fmt in parts if fmt.replay is not None]
        self.replay = max(replays, key=len) if replays else None  # b"#" covers b"" too

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        contexts = ctx.state.setdefault(self.name, {})
        line_no = pl.col("source_line")
        pending, accepted, passed_over = chunk, [], []
        for fmt in self.parts:
            if not pending.height:
                break
            own = contexts.setdefault(fmt.name, ParseContext(ctx.timezone, ctx.year, ctx.modified))
            rows = fmt.parse(pending, own)
            ok = rows.filter(pl.col("ok"))
            accepted.append(ok.with_columns(pl.lit(fmt.name).alias("source_format")))
            passed_over.append(pending.filter(~line_no.is_in(rows["source_line"].implode())))
            pending = pending.filter(~line_no.is_in(ok["source_line"].implode()))
        skipped = pl.concat([p.select("source_line") for p in passed_over])
        rejected = pending.filter(~line_no.is_in(skipped["source_line"].implode()))
        accepted.append(rejected.select("source_line", pl.lit(False).alias("ok")))
        return pl.concat(accepted, how="diagonal_relaxed").sort("source_line")
