"""CSV and JSON lines read through a user's column mapping (`--map`): loading the
mapping, parsing, `check`, our fixtures, and hostile lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shadowscan.enrich.hosts import HostTable
from shadowscan.errors import InputError
from shadowscan.formats import FORMATS
from shadowscan.formats.base import ParseContext
from shadowscan.formats.mapped import MappedFormat
from shadowscan.formats.mapping import FIELDS, Mapping, load_mapping
from shadowscan.normalise import normalise
from shadowscan.schema import EVENT_KINDS, STORE_SCHEMA
from tests.formats.common import FIXTURES, assert_parsed_schema, frame, parse

FIREWALL = "ts=Time,host=Domain,user=User,client_ip=Src,action=Action,bytes_out=Sent"
HEADER = "Time,Domain,User,Src,Action,Sent"
ROW = "2025-12-01T10:00:00Z,chatgpt.com,alice,10.0.0.5,Allow,1830"


def mapped(spec: str = FIREWALL) -> MappedFormat:
    return MappedFormat(load_mapping(spec))


def toml(tmp_path: Path, text: str, name: str = "map.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def when(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- load_mapping: the --map string ------------------------------------------------------


def test_pairs_give_the_columns_in_field_order():
    mapping = load_mapping(" user = User , ts=Time,host=Domain,client_ip=Src Address, ")
    assert mapping == Mapping({"ts": "Time", "host": "Domain", "user": "User",
                               "client_ip": "Src Address"})  # fmt: skip
    assert (mapping.time_format, mapping.separator, mapping.event_kind) == (None, None, None)


def test_pairs_may_carry_the_settings():
    mapping = load_mapping("ts=t,url=u,separator=tab,time_format=%d/%m/%Y %H:%M,event_kind=dns")
    assert (mapping.separator, mapping.time_format, mapping.event_kind) == (
        "\t", "%d/%m/%Y %H:%M", "dns",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("ts=Time,hots=Domain", ["unknown field 'hots'", "ts, host, url, user"]),
        ("host=Domain,user=User", ["no column for the time", "ts=Column"]),
        ("ts=Time,user=User", ["host=Column or url=Column"]),
        ("ts=Time,host", ["'host' is not a field=Column pair"]),
        ("ts=Time,host=", ["'host=' is not a field=Column pair"]),
        ("ts=Time,=Domain", ["'=Domain' is not a field=Column pair"]),
        ("ts=Time,host=A,host=B", ["'host' is named twice"]),
        ("ts=Time,host=A,event_kind=web", ["event_kind 'web' is not one of dns, http"]),
        ("ts=Time,host=A,separator=;;", ["separator ';;' must be one character"]),
        ("ts=Time,host=A,time_format=dd/mm/yyyy", ["has no strftime directive"]),
        ("Time", ["no mapping file at Time"]),
        ("missing/map.toml", ["no mapping file at missing/map.toml"]),
    ],
)
def test_bad_pairs_are_one_sentence_errors(spec, words):
    with pytest.raises(InputError) as caught:
        load_mapping(spec)
    message = caught.value.message
    assert all(word in message for word in words), message
    assert message.endswith(".") and "\n" not in message


def test_an_unknown_field_suggests_the_close_one():
    with pytest.raises(InputError) as caught:
        load_mapping("ts=Time,hots=Domain")
    assert caught.value.hint == "Did you mean 'host'?"
    assert all(field in caught.value.message for field in FIELDS)


# --- load_mapping: a TOML file -----------------------------------------------------------


def test_a_toml_file_gives_the_same_mapping(tmp_path):
    path = toml(tmp_path, 'ts = "Time"\nhost = "Domain"\nseparator = ";"\n# a comment\n')
    assert load_mapping(path) == Mapping({"ts": "Time", "host": "Domain"}, separator=";")


def test_the_fixture_mappings_load():
    firewall = load_mapping(str(FIXTURES / "mapped" / "firewall-export.toml"))
    assert firewall.time_format == "%d/%m/%Y %H:%M:%S"
    assert firewall.columns["client_ip"] == "Source IP"
    siem = load_mapping(str(FIXTURES / "mapped" / "siem-search.toml"))
    assert siem.columns["status"] == "http.response.status_code"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('ts = "Time"\nhost = ', ["is not valid TOML"]),
        ('ts = "Time"\nhost = 3\n', ["host must be a string in quotes", "not int 3"]),
        ('ts = "Time"\n[columns]\nhost = "Domain"\n', ["columns must be a string in quotes"]),
        ('ts = "Time"\nhots = "Domain"\n', ["unknown field 'hots'", "the fields are: ts, host"]),
        ('host = "Domain"\n', ["no column for the time"]),
        ('ts = "Time"\nhost = "Domain"\ntime_format = 5\n', ["time_format must be a string"]),
    ],
)
def test_bad_toml_files_are_one_sentence_errors(tmp_path, text, words):
    path = toml(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_mapping(path)
    message = caught.value.message
    assert all(word in message for word in words), message
    assert message.startswith(path) and caught.value.location == path


def test_unreadable_toml_files(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(InputError, match=r"cannot read the mapping file .*folder\.toml"):
        load_mapping(str(tmp_path / "folder.toml"))
    (tmp_path / "latin1.toml").write_bytes(b'ts = "Zeit\xe9"\n')
    with pytest.raises(InputError, match="not UTF-8"):
        load_mapping(str(tmp_path / "latin1.toml"))


# --- the format ------------------------------------------------------------------------------


def test_not_registered_and_what_it_fills():
    assert "mapped" not in FORMATS
    fmt = mapped()
    assert (fmt.name, fmt.samples, fmt.kind) == ("mapped", (), "flow")
    assert fmt.fills == ("user", "client_ip", "action", "bytes_out")
    web = mapped("ts=t,url=u,status=s")
    assert (web.kind, web.fills) == ("http", ("url_path", "status"))
    assert mapped("ts=t,host=q,event_kind=dns").kind == "dns"


def test_csv_rows_become_events_with_the_event_schema_dtypes():
    out = parse(mapped(), [HEADER, ROW])
    assert_parsed_schema(out)
    row = out.row(0, named=True)
    assert row["source_line"] == 2 and row["ok"]
    assert (row["ts"], row["host_raw"], row["user_raw"], row["client_ip"]) == (
        when(2025, 12, 1, 10), "chatgpt.com", "alice", "10.0.0.5",
    )  # fmt: skip
    assert (row["action"], row["bytes_out"], row["event_kind"]) == ("allowed", 1830, "flow")
    assert row["url_path"] is None and row["bytes_in"] is None


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_separator_is_sniffed_from_the_header(sep):
    lines = [HEADER.replace(",", sep), ROW.replace(",", sep)]
    row = parse(mapped(), lines).row(0, named=True)
    assert (row["host_raw"], row["user_raw"], row["bytes_out"], row["ok"]) == (
        "chatgpt.com", "alice", 1830, True,
    )  # fmt: skip


def test_a_given_separator_wins_over_sniffing():
    # The header has more commas than semicolons, but the mapping says `;`.
    lines = ["Time;Domain;Note", "2025-12-01 10:00:00;chatgpt.com;a,b,c"]
    out = parse(mapped("ts=Time,host=Domain,separator=;"), lines)
    assert out["host_raw"].to_list() == ["chatgpt.com"] and out["ok"].all()


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_quoted_fields_may_hold_the_separator_and_quotes(sep):
    header = f'"Time"{sep}"Domain"{sep}"User"{sep}"Src"{sep}"Action"{sep}"Sent"'
    row = sep.join(['"2025-12-01 10:00:00"', "chatgpt.com", f'"Doe{sep} ""JD"" John"',
                    "10.0.0.5", '"Allow"', "12"])  # fmt: skip
    stray = sep.join(["2025-12-01 10:00:01", "claude.ai", '"unclosed', "10.0.0.6", "Deny", "1"])
    out = parse(mapped(), [header, row, stray])
    first = out.row(0, named=True)
    assert (first["user_raw"], first["host_raw"], first["bytes_out"]) == (
        f'Doe{sep} "JD" John', "chatgpt.com", 12,
    )  # fmt: skip
    assert out["source_line"].to_list() == [2, 3]  # the stray quote costs at most its own row
    assert first["ok"]


def test_column_names_ignore_case_and_spaces_and_crlf_is_read():
    lines = [" time , DOMAIN ,user,src,action,sent\r", ROW + "\r"]
    row = parse(mapped(), lines).row(0, named=True)
    assert (row["host_raw"], row["bytes_out"], row["ok"]) == ("chatgpt.com", 1830, True)


def test_dashes_and_empty_values_are_nulls():
    row = parse(mapped(), [HEADER, "2025-12-01 10:00:00,chatgpt.com,-,,Allow,-"]).row(0, named=True)
    assert (row["user_raw"], row["client_ip"], row["bytes_out"], row["ok"]) == (
        None, None, None, True,
    )  # fmt: skip


# --- JSON lines ----------------------------------------------------------------------------


SIEM = "ts=@timestamp,url=url.full,client_ip=source.ip,user=user.name,status=http.status"


def test_json_dotted_paths_read_nested_and_flat_keys():
    nested = {"@timestamp": "2025-12-01T10:00:00Z", "url": {"full": "https://chatgpt.com/c/1?x=1"},
              "source": {"ip": "10.0.0.5", "port": 50123}, "user": {"name": "alice"},
              "http": {"status": 200}}  # fmt: skip
    flat = {"@timestamp": 1764583201, "url.full": "claude.ai:443", "source.ip": "10.0.0.6",
            "http.status": "403"}  # fmt: skip
    out = parse(mapped(SIEM), [json.dumps(nested), json.dumps(flat)])
    assert_parsed_schema(out)
    assert out.select("host_raw", "url_path", "client_ip", "user_raw", "status").rows() == [
        ("chatgpt.com", "/c/1?x=1", "10.0.0.5", "alice", 200),
        ("claude.ai:443", None, "10.0.0.6", None, 403),
    ]
    assert out["ts"].to_list() == [when(2025, 12, 1, 10), when(2025, 12, 1, 10, 0, 1)]
    assert out["event_kind"].to_list() == ["http", "http"] and out["ok"].all()


def test_json_a_key_and_a_key_inside_it_can_both_be_mapped():
    line = json.dumps({"t": "2025-12-01T10:00:00Z", "dst": {"host": "chatgpt.com"}})
    row = parse(mapped("ts=t,host=dst.host,user_agent=dst"), [line]).row(0, named=True)
    assert row["host_raw"] == "chatgpt.com"
    assert json.loads(row["user_agent"]) == {"host": "chatgpt.com"}


def test_json_bad_lines_are_rejected_not_read_as_a_header():
    good = json.dumps({"@timestamp": "2025-12-01T10:00:00Z", "url": {"full": "chatgpt.com/x"}})
    out = parse(mapped(SIEM), [good, "Time,Domain", '{"@timestamp": "2025-1', "[1, 2]", good])
    assert out["source_line"].to_list() == [1, 2, 3, 4, 5]
    assert out["ok"].to_list() == [True, False, False, False, True]


# --- times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-01T10:00:00Z", when(2025, 12, 1, 10)),
        ("2025-12-01T11:00:00.250+01:00", when(2025, 12, 1, 10, 0, 0, 250_000)),
        ("2025-12-01 11:00:00+0100", when(2025, 12, 1, 10)),
        ("2025-12-01 11:00:00", when(2025, 12, 1, 10)),  # naive: in --timezone (Paris, UTC+1)
        ("2025-12-01T11:00:00.5", when(2025, 12, 1, 10, 0, 0, 500_000)),
        ("1764583200", when(2025, 12, 1, 10)),
        ("1764583200.5", when(2025, 12, 1, 10, 0, 0, 500_000)),
        ("1764583200123", when(2025, 12, 1, 10, 0, 0, 123_000)),
        ("1764583200123456", when(2025, 12, 1, 10, 0, 0, 123_456)),
        ("1764583200123456789", when(2025, 12, 1, 10, 0, 0, 123_456)),
        ("01/12/2025 10:00:00", None),  # needs a time_format
        ("yesterday", None),
    ],
)
def test_times_without_a_format(text, expected):
    ctx = ParseContext(timezone="Europe/Paris")
    out = parse(mapped("ts=Time,host=Domain"), ["Time,Domain", f"{text},chatgpt.com"], ctx)
    assert out["ts"].item() == expected
    assert out["ok"].item() is (expected is not None)


@pytest.mark.parametrize(
    ("time_format", "text", "expected"),
    [
        ("%d/%m/%Y %H:%M:%S", "01/12/2025 11:00:00", when(2025, 12, 1, 10)),
        ("%d/%m/%Y %H:%M:%S.%f", "01/12/2025 11:00:00.123456", when(2025, 12, 1, 10, 0, 0, 123456)),
        ("%b %d %Y %I:%M %p", "Dec 01 2025 11:30 AM", when(2025, 12, 1, 10, 30)),
        ("%d.%m.%Y %H:%M:%S %z", "01.12.2025 10:00:00 -0500", when(2025, 12, 1, 15)),
        ("%d/%m/%Y %H:%M:%S", "2025-12-01 11:00:00", None),
        ("%d/%m/%Y %H:%M:%S", "30/03/2025 02:30:00", None),  # no such hour in Paris
    ],
)
def test_times_with_a_strftime_format(tmp_path, time_format, text, expected):
    path = toml(tmp_path, f'ts = "T"\nhost = "H"\ntime_format = "{time_format}"\n')
    ctx = ParseContext(timezone="Europe/Paris")
    out = parse(MappedFormat(load_mapping(path)), ["T;H", f"{text};chatgpt.com"], ctx)
    assert out["ts"].item() == expected


# --- URLs, hosts, actions ------------------------------------------------------------------


def test_a_url_gives_host_and_path():
    fmt = mapped("ts=Time,url=URL,method=Method")
    lines = [
        "Time,URL,Method",
        "2025-12-01 10:00:00,https://alice@chatgpt.com:8443/c/1?q=a%20b,POST",
        "2025-12-01 10:00:01,claude.ai:443,CONNECT",
        "2025-12-01 10:00:02,gemini.google.com/app,GET",
        "2025-12-01 10:00:03,/no/host,GET",
    ]
    out = parse(fmt, lines)
    assert out.select("host_raw", "url_path", "method").rows() == [
        ("alice@chatgpt.com:8443", "/c/1?q=a%20b", "POST"),
        ("claude.ai:443", None, "CONNECT"),
        ("gemini.google.com", "/app", "GET"),
        (None, "/no/host", "GET"),
    ]
    assert out["ok"].to_list() == [True, True, True, False]
    assert out["event_kind"].unique().to_list() == ["http"]


def test_a_host_column_wins_over_the_url_and_a_path_column_over_the_urls():
    fmt = mapped("ts=T,host=H,url=U,url_path=P,port=Port,status=S,bytes_in=In,user_agent=UA")
    lines = ["T,H,U,P,Port,S,In,UA",
             "2025-12-01 10:00:00,chatgpt.com,https://x.example/a,/b,443,200,99,curl/8.5.0",
             "2025-12-01 10:00:00,,https://x.example/a,,x,OK,1.5,"]  # fmt: skip
    out = parse(fmt, lines)
    assert_parsed_schema(out)
    columns = ("host_raw", "url_path", "port", "status", "bytes_in", "user_agent")
    assert out.select(columns).rows() == [
        ("chatgpt.com", "/b", 443, 200, 99, "curl/8.5.0"),
        ("x.example", "/a", None, None, None, None),
    ]


@pytest.mark.parametrize(
    ("word", "action"),
    [("Allow", "allowed"), ("ACCEPT", "allowed"), ("permitted", "allowed"), ("Deny", "blocked"),
     ("Blocked", "blocked"), ("drop", "blocked"), ("reset-both", "blocked"), ("Log", "unknown"),
     ("-", "unknown"), ("", "unknown")],
)  # fmt: skip
def test_action_words_become_verdicts(word, action):
    out = parse(mapped(), [HEADER, f"2025-12-01 10:00:00,chatgpt.com,alice,10.0.0.5,{word},1"])
    assert out["action"].item() == action


def test_without_an_action_column_the_action_is_unknown():
    out = parse(mapped("ts=Time,host=Domain"), ["Time,Domain", "2025-12-01 10:00:00,claude.ai"])
    assert out["action"].item() == "unknown"


# --- headers, bad rows, chunks ---------------------------------------------------------------


def test_the_header_repeated_mid_file_is_skipped():
    lines = [HEADER, ROW, HEADER, ROW, HEADER + "\r", ROW]
    out = parse(mapped(), lines)
    assert out["source_line"].to_list() == [2, 4, 6] and out["ok"].all()


def test_a_new_header_naming_every_column_switches_the_layout():
    reordered = "Sent,Src,Domain,Action,User,Time,Extra"
    lines = [HEADER, ROW, reordered, "12,10.0.0.9,claude.ai,Deny,bob,2025-12-01 11:00:00,x",
             "a row that mentions Time Domain User Src Action Sent"]  # fmt: skip
    out = parse(mapped(), lines)
    assert out["source_line"].to_list() == [2, 4, 5]
    assert out.select("host_raw", "user_raw", "bytes_out", "action", "ok").rows()[1:] == [
        ("claude.ai", "bob", 12, "blocked", True),
        (None, None, None, "unknown", False),
    ]


def test_bad_rows_are_rejected_and_counted():
    lines = [
        HEADER,
        ROW,
        "2025-12-01 10:00:00,chatgpt.com,alice",  # too few fields
        ROW + ",surplus",  # too many: the columns may have shifted
        "yesterday,chatgpt.com,alice,10.0.0.5,Allow,1",  # no time
        "2025-12-01 10:00:00,,alice,10.0.0.5,Allow,1",  # no host
        "2025-12-01 10:00:00,-,alice,10.0.0.5,Allow,1",  # a dash is no host
        "\x00\x01,,,,,",
        ROW,
    ]
    out = parse(mapped(), lines)
    assert out["source_line"].to_list() == list(range(2, 10))
    assert out["ok"].to_list() == [True, False, False, False, False, False, False, True]
    assert out.filter(~pl.col("ok")).height == 6


def test_the_header_is_kept_across_chunks():
    fmt, ctx = mapped(), ParseContext()
    first = fmt.parse(frame([HEADER, ROW]), ctx)
    second = fmt.parse(frame([ROW.replace("alice", "bob"), HEADER, ROW], first=3), ctx)
    assert first["source_line"].to_list() == [2]
    assert second["source_line"].to_list() == [3, 5]
    assert second["user_raw"].to_list() == ["bob", "alice"] and second["ok"].all()


def test_a_resumed_read_takes_the_replayed_header():
    # On resuming mid-file the pipeline replays the first line (`replay = b""`) as line 0.
    fmt, ctx = mapped(), ParseContext()
    assert fmt.replay == b""
    fmt.parse(frame([HEADER], first=0), ctx)
    out = fmt.parse(frame([ROW], first=500), ctx)
    assert out["source_line"].to_list() == [500] and out["ok"].all()


def test_empty_chunks_and_a_header_only_file():
    fmt, ctx = mapped(), ParseContext()
    assert parse(fmt, [], ctx).height == 0
    out = parse(fmt, [HEADER], ctx)
    assert out.height == 0
    assert_parsed_schema(out)


# --- check ---------------------------------------------------------------------------------


def test_check_accepts_files_the_mapping_reads():
    assert mapped().check([HEADER, ROW]) is None
    assert mapped().check([HEADER]) is None
    assert mapped().check([]) is None
    full = {"@timestamp": 1764583200, "url": {"full": "x.com"}, "source.ip": "10.0.0.5",
            "user": {"name": None}, "http": {"status": 200}}  # fmt: skip
    assert mapped(SIEM).check([json.dumps(full)]) is None
    assert mapped().signature([HEADER, ROW]) and not mapped().signature(["garbage"])


def test_check_names_a_missing_csv_column_and_lists_those_present():
    reason = mapped("ts=Time,host=Domian,user=User,client_ip=Src").check(
        ["Time,Domain,User,Src", "2025-12-01 10:00:00,chatgpt.com,alice,10.0.0.5"]
    )
    assert reason == (
        "the mapping names the column 'Domian', which this file's header does not have; "
        "its columns are: Time, Domain, User, Src"
    )
    reason = mapped("ts=When,host=Where,user=User").check(["Time;Domain;User"])
    assert reason is not None and "columns 'When' and 'Where'" in reason
    assert reason.endswith("its columns are: Time, Domain, User")


def test_check_names_a_missing_json_key_and_lists_the_top_level_keys():
    head = [json.dumps({"@timestamp": "2025-12-01T10:00:00Z", "source": {"ip": "10.0.0.5"},
                        "url": {"full": "https://chatgpt.com/"}})]  # fmt: skip
    reason = mapped("ts=@timestamp,url=url.full,client_ip=source.addr").check(head)
    assert reason == (
        "the mapping names the key 'source.addr', which none of this file's first JSON records "
        "has; their top-level keys are: @timestamp, source, url"
    )
    assert "none of its first lines is a JSON object" in mapped(SIEM).check(['{"a": 1', "{x}"])


def test_check_explains_a_file_that_is_neither_json_nor_csv():
    reason = mapped().check(["1764583200.123 42 10.0.0.5 TCP_MISS/200 512 GET http://x.com/ -"])
    assert reason is not None
    assert reason.startswith("its first line, '1764583200.123 42 10.0.0.5 TCP_MISS/200")
    assert "neither a JSON object nor a CSV header row" in reason


def test_check_explains_rows_it_cannot_read():
    fmt = mapped("ts=Time,host=Domain")
    reason = fmt.check(["Time,Domain", "01/12/2025 10:00,chatgpt.com"])
    assert reason is not None and "'Time' holds no time" in reason
    assert "'01/12/2025 10:00'" in reason and "time_format" in reason
    reason = fmt.check(["Time,Domain", "2025-12-01 10:00:00,-"])
    assert reason == "no row in the first lines has a host in 'Domain'"
    reason = fmt.check(["Time,Domain,User", "2025-12-01 10:00:00,chatgpt.com"])
    assert reason == "none of its first rows has the 3 fields of its header row"
    reason = mapped("ts=Time,host=Domain,time_format=%d/%m/%Y %H:%M").check(
        ["Time,Domain", "2025-12-01 10:00:00,chatgpt.com"]
    )
    assert reason is not None and "as '%d/%m/%Y %H:%M'" in reason
    assert reason.endswith("(the first: '2025-12-01 10:00:00'); check time_format")


# --- our fixtures --------------------------------------------------------------------------


def fixture_rows(name: str, mapping: str, ctx: ParseContext, chunks: int = 1) -> pl.DataFrame:
    """A fixture file parsed through its mapping, in `chunks` chunks sharing `ctx`."""
    fmt = MappedFormat(load_mapping(str(FIXTURES / "mapped" / mapping)))
    lines = (FIXTURES / "mapped" / name).read_text(encoding="utf-8").splitlines()
    assert fmt.check(lines[:50]) is None
    cut = len(lines) // chunks
    parts = [lines[i : i + cut] for i in range(0, len(lines), cut)]
    starts = range(1, len(lines) + 1, cut)
    return pl.concat(
        fmt.parse(frame(part, first), ctx) for part, first in zip(parts, starts, strict=True)
    )


@pytest.mark.parametrize("chunks", [1, 2, 5])
def test_the_firewall_export(chunks):
    out = fixture_rows("firewall-export.csv", "firewall-export.toml", ParseContext("Europe/Paris"),
                       chunks)  # fmt: skip
    assert_parsed_schema(out)
    # Line 1 and its repeat on line 8 are headers; 10 has no domain, 11 no such day, 12 is cut.
    assert out["source_line"].to_list() == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]
    assert out.filter(~pl.col("ok"))["source_line"].to_list() == [10, 11, 12]
    first = out.row(0, named=True)
    assert (first["ts"], first["user_raw"], first["client_ip"], first["port"]) == (
        when(2025, 12, 1, 8, 58, 12), "ACME\\alice", "10.20.1.15", 443,
    )  # fmt: skip
    assert (first["bytes_out"], first["bytes_in"], first["action"]) == (18342, 90211, "allowed")
    assert out.filter(pl.col("user_raw") == "Doe, Jane")["action"].to_list() == ["blocked"] * 2
    events = normalise(out, HostTable(), "mapped", "firewall-export.csv")
    assert events.schema == STORE_SCHEMA
    assert "www.deepl.com" in events["host"].to_list()


def test_the_siem_search():
    out = fixture_rows("siem-search.jsonl", "siem-search.toml", ParseContext())
    assert_parsed_schema(out)
    assert out["ok"].to_list() == [True, True, True, False, False, False]
    good = out.filter("ok")
    seconds = [0.12, 2, 5]
    assert good["ts"].to_list() == [when(2025, 12, 1, 10) + timedelta(seconds=s) for s in seconds]
    assert good.select("host_raw", "url_path", "method", "status", "action").rows() == [
        ("chatgpt.com", "/backend-api/conversation", "POST", 200, "allowed"),
        ("claude.ai:443", None, "CONNECT", 403, "blocked"),
        ("gemini.google.com", "/app", "GET", 200, "allowed"),
    ]
    assert good["user_agent"].to_list()[0].startswith("Mozilla/5.0")


# --- hostile lines -------------------------------------------------------------------------

_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=300)
_LINES = st.lists(_TEXT.filter(lambda s: s.strip() != ""), min_size=1, max_size=12)
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    "spec",
    [FIREWALL, SIEM, "ts=Time,url=URL,separator=|,time_format=%d/%m/%Y %H:%M", "ts=a,host=a.b"],
)
@_SETTINGS
@given(lines=_LINES, lead=st.sampled_from(["", HEADER, '{"@timestamp": 1}']))
def test_arbitrary_lines_never_break_the_parser(spec, lines, lead):
    lines = [lead, *lines] if lead else lines
    fmt = mapped(spec)
    fmt.check(lines)
    out = fmt.parse(frame(lines), ParseContext())
    assert out["ok"].dtype == pl.Boolean
    returned = out["source_line"].to_list()
    assert len(returned) == len(set(returned)) and set(returned) <= set(range(1, len(lines) + 1))
    assert set(out["event_kind"].unique().to_list()) <= set(EVENT_KINDS)
    assert normalise(out, HostTable(), "mapped", "hostile.log").schema == STORE_SCHEMA
