"""Windows DNS Server debug log (`dns.log`, "Log packets for debugging")."""

from __future__ import annotations

import polars as pl

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.dns_servers import any_line_matches, clean_line, dns_events
from shadowscan.formats.fields import rcode_number
from shadowscan.formats.syslog import local_time

#: `date time [AM|PM] thread` come before ` PACKET `; the date's order depends on the locale.
_DATE = r"^(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})[/.-](?P<c>\d{1,4})$"
_CLOCK = r"^(?P<h>\d{1,2}):(?P<mi>\d\d):(?P<s>\d\d)$"
_STATE = "windows-dns:day-first"
#: How many lines after a query the server's response to it may come.
_RESPONSE_WINDOW = 2000


class WindowsDnsDebug(LogFormat):
    """Windows DNS Server debug log ("Log packets for debugging" to a file).

    Only packet lines are read; the header, `EVENT` lines and packet details
    are skipped. Each received query (`Rcv`, opcode `Q`, no `R` flag) is one
    event; the server's response (`Snd … R Q`) is not another event, but the
    first response with the same client and transaction id within 2000 lines
    of the same chunk gives its rcode as status. Updates, notifies and the
    server's own recursive queries are skipped. The question `(7)chatgpt(3)com(0)`
    reads as `chatgpt.com`. The action is unknown: the log has no verdict.

    The time is local (`--timezone`) and written in the server's locale:
    `6/20/2017 5:36:59 AM`, `30/09/2015 12:04:28`, `30.09.2015 12:04:28` or
    `2015-09-30 12:04:28`. A 4-digit first number is a year (Y-M-D); dots mean
    D.M.Y; for slashes, a first number above 12 anywhere in a chunk means D/M
    (kept for the rest of the file), a second number above 12 means M/D (the
    majority wins; a date impossible both ways counts for neither), and while
    neither shows, AM/PM suggests M/D (en-US) and a 24-hour clock D/M.

        6/20/2017 5:36:59 AM 0E3C PACKET  00000000034C9A00 UDP Rcv 10.0.0.5 \
            1f3e   Q [0001   D   NOERROR] A      (7)chatgpt(3)com(0)

    (one line; broken here for width; columns are space-padded).
    """

    name = "windows-dns"
    title = "Windows DNS Server debug log"
    fills = ("client_ip", "method", "status")
    samples = (
        "DNS Server log file creation at 12/1/2025 9:59:58 AM",
        "12/1/2025 10:00:00 AM 0E3C PACKET  00000000034C9A00 UDP Rcv 10.0.0.5        "
        "1f3e   Q [0001   D   NOERROR] A      (7)chatgpt(3)com(0)",
        "12/1/2025 10:00:00 AM 0E3C PACKET  00000000034C9A00 UDP Snd 10.0.0.5        "
        "1f3e R Q [8081   DR  NOERROR] A      (7)chatgpt(3)com(0)",
        "12/1/2025 10:00:01 AM 0E3C PACKET  0000000003F1B120 UDP Rcv fd00::7         "
        "a2c4   Q [0001   D   NOERROR] AAAA   (6)claude(2)ai(0)",
    )

    def signature(self, head: list[str]) -> bool:
        """A `PACKET … UDP|TCP Rcv|Snd` line, or the log's own header."""
        return any_line_matches(
            r" PACKET +[0-9A-Fa-f]+ (?:UDP|TCP) (?:Rcv|Snd) |^DNS Server log file creation at ",
            head,
        )

    def parse(self, chunk: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
        packets = _packets(chunk)
        day_first = _day_first(packets, ctx)
        rows = packets.lazy().with_columns(_time(day_first, ctx).alias("ts"))
        query = (pl.col("dir") == "Rcv") & ~pl.col("response") & (pl.col("opcode") == "Q")
        broken = pl.col("ip").is_null() | pl.col("dir").is_null() | pl.col("qname").is_null()
        events = rows.filter((query | broken).fill_null(True))
        replies = rows.filter(
            (pl.col("dir") == "Snd") & pl.col("response") & (pl.col("opcode") == "Q")
        )
        joined = events.join_asof(
            replies.select("i", "ip", "xid", pl.col("rcode").alias("reply_rcode")),
            on="i", by=["ip", "xid"], strategy="forward", tolerance=_RESPONSE_WINDOW,
            check_sortedness=False,
        )  # fmt: skip
        return dns_events(
            joined.select(
                "source_line",
                "ts",
                pl.col("ip").alias("client_ip"),
                _question(pl.col("qname")).alias("name"),
                pl.col("qtype").alias("method"),
                rcode_number(pl.col("reply_rcode")).alias("status"),
                pl.lit(None, pl.String).alias("action"),
                (~broken & pl.col("qtype").is_not_null()).alias("valid"),
            )
        )


def _packets(chunk: pl.DataFrame) -> pl.DataFrame:
    """The packet lines, cut into columns (column padding collapsed first)."""
    parts = clean_line().str.splitn(" PACKET ", 2).struct.field
    bracket = pl.col("tail").str.splitn(" [", 2).struct.field
    flags_question = bracket("field_1").str.splitn("] ", 2).struct.field
    words = bracket("field_0").str.splitn(" ", 7).struct.field  # ctx proto dir ip xid [R] opcode
    response = words("field_5") == "R"
    question = flags_question("field_1").str.splitn(" ", 2).struct.field
    return (
        chunk.with_row_index("i")
        .select("i", "source_line", parts("field_0").alias("head"), parts("field_1").alias("tail"))
        .filter(pl.col("tail").is_not_null())
        .with_columns(pl.col("tail").str.replace_all(" {2,}", " ").str.strip_chars())
        .select(
            "i",
            "source_line",
            _stamp(pl.col("head")).alias("t"),
            pl.when(words("field_2").is_in(["Rcv", "Snd"])).then(words("field_2")).alias("dir"),
            words("field_3").alias("ip"),
            words("field_4").alias("xid"),
            response.fill_null(False).alias("response"),
            pl.when(response).then(words("field_6")).otherwise(words("field_5")).alias("opcode"),
            flags_question("field_0").str.extract(r"(\S+)$").alias("rcode"),
            question("field_0").alias("qtype"),
            question("field_1").alias("qname"),
        )
    )


def _stamp(head: pl.Expr) -> pl.Expr:
    """`6/20/2017 5:36:59 AM 0E3C` → struct of date numbers `a sep b c`, `h mi s`, `ampm`."""
    word = head.str.splitn(" ", 4).struct.field
    date = word("field_0").str.extract_groups(_DATE).struct.field
    clock = word("field_1").str.extract_groups(_CLOCK).struct.field
    marker = word("field_2")
    ampm = pl.when(marker.str.contains(r"^[AaPp]\.?[Mm]\.?$")).then(marker).alias("ampm")
    parts = [date(k).alias(k) for k in ("a", "sep", "b", "c")]
    return pl.struct(*parts, *(clock(k).alias(k) for k in ("h", "mi", "s")), ampm)


def _day_first(packets: pl.DataFrame, ctx: ParseContext) -> bool:
    """Whether slash dates are D/M/Y in this file: decided once a day above 12 shows.

    A date counts as evidence only when the other number could be a month, so
    one garbled date (`13/45/2025`) cannot flip a file; the majority decides.
    """
    t = pl.col("t").struct.field
    a, b = (t(k).cast(pl.Int32, strict=False) for k in ("a", "b"))
    slash = (t("sep") == "/") & (t("a").str.len_chars() < 3)
    seen = packets.select(
        (slash & (a > 12) & (b <= 12)).sum().alias("day_first"),
        (slash & (b > 12) & (a <= 12)).sum().alias("month_first"),
        t("ampm").is_not_null().any().alias("ampm"),
    ).row(0, named=True)
    if _STATE not in ctx.state and seen["day_first"] != seen["month_first"]:
        ctx.state[_STATE] = seen["day_first"] > seen["month_first"]
    return ctx.state.get(_STATE, not seen["ampm"])


def _time(day_first: bool, ctx: ParseContext) -> pl.Expr:
    """The local date and time as UTC, whatever the locale wrote."""
    t = pl.col("t").struct.field
    year_first = t("a").str.len_chars() == 4
    day_month = year_first.not_() & ((t("sep") == ".") | (t("sep") == "-") | pl.lit(day_first))
    year = pl.when(year_first).then(t("a")).otherwise(t("c"))
    month = pl.when(year_first).then(t("b")).when(day_month).then(t("b")).otherwise(t("a"))
    day = pl.when(year_first).then(t("c")).when(day_month).then(t("a")).otherwise(t("b"))
    hour = t("h").cast(pl.Int32, strict=False)
    pm = t("ampm").str.to_uppercase().str.starts_with("P")
    hour = (
        pl.when(t("ampm").is_null())
        .then(hour)
        .otherwise(hour % 12 + pl.when(pm).then(12).otherwise(0))
    )
    hh = hour.cast(pl.String).str.zfill(2)
    text = pl.format(
        "{}-{}-{} {}:{}:{}", year, month.str.zfill(2), day.str.zfill(2), hh, t("mi"), t("s")
    )
    return local_time(text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False), ctx)


def _question(raw: pl.Expr) -> pl.Expr:
    """`(7)chatgpt(3)com(0)` → `chatgpt.com`; the root `(0)` → `.`."""
    name = raw.str.replace_all(r"\(\d+\)", ".").str.strip_chars(".")
    return pl.when(name == "").then(pl.lit(".")).otherwise(name)
