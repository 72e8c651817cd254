"""Generated logs with realistic host and user cardinality, one per format family.

Real proxy traffic reaches tens of thousands of hosts and thousands of users a
day, a few very often and most rarely. Hosts and users here are drawn from
pools sized like that (100k hosts and 20k users per 10M lines, scaled to the
file) with a Zipf-like law: rank `k` is chosen with probability about 1/k
(`floor(N ** u)` for a uniform `u`). A few AI services sit among the popular
hosts, others in the tail. Lines are built with Polars expressions from the
row number alone, so the same count always gives the same bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl

START = 1_764_547_200  # 2025-12-01T00:00:00Z
BLOCK = 500_000
AI_HOSTS = (
    "chatgpt.com", "claude.ai", "gemini.google.com", "copilot.microsoft.com",
    "www.perplexity.ai", "chat.deepseek.com", "chat.mistral.ai", "grok.com",
    "api.openai.com", "api.anthropic.com", "huggingface.co", "poe.com",
)  # fmt: skip
POPULAR = ("www.google.com", "outlook.office365.com", "login.microsoftonline.com",
           "www.youtube.com", "github.com", "slack.com", "teams.microsoft.com")  # fmt: skip
TLDS = ("com", "net", "org", "io", "de", "co.uk", "fr", "example")


def host_pool(size: int) -> pl.Series:
    """`size` distinct hosts by popularity rank: popular sites, AI services among them."""
    tail = [
        f"{('www', 'api', 'cdn', 'static', 'app')[i % 5]}.site{i}.{TLDS[i % len(TLDS)]}"
        for i in range(size)
    ]
    hosts = list(POPULAR)
    for i, ai in enumerate(AI_HOSTS):  # AI hosts at ranks 8, 30, 110, ... into the tail
        hosts.append(ai)
        hosts.extend(tail[: 2 + 3 * i * i])
        tail = tail[2 + 3 * i * i :]
    return pl.Series("host", (hosts + tail)[:size])


def zipf_rank(mix: pl.Expr, size: int) -> pl.Expr:
    """A rank in [0, size) with P(k) about 1/(k+1): `floor(size ** u) - 1`, u uniform."""
    u = (mix % 1_000_003).cast(pl.Float64) / 1_000_003
    return (pl.lit(float(size)).pow(u).floor().cast(pl.Int64) - 1).clip(0, size - 1)


def pools(lines: int) -> tuple[int, int]:
    """(hosts, users) pool sizes: 100k hosts and 20k users per 10M lines, at least 1k/200."""
    return max(1_000, lines // 100), max(200, lines // 500)


def fill(template: str, *values: pl.Expr | int) -> pl.Expr:
    """`template` with each `{}` replaced by the next value (`pl.format` reads `{name}` too,
    which JSON text would trip)."""
    pieces = template.split("{}")
    assert len(pieces) == len(values) + 1, template
    parts: list[pl.Expr] = [pl.lit(pieces[0])]
    for value, piece in zip(values, pieces[1:], strict=True):
        parts += [pl.lit(value) if isinstance(value, int) else value.cast(pl.String), pl.lit(piece)]
    return pl.concat_str(parts)


def _draw(first: int, count: int, lines: int) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """(row number, hash, host, user index) for rows `first`… of a `lines`-line file."""
    n_hosts, n_users = pools(lines)
    n = pl.int_range(first, first + count, dtype=pl.Int64)
    mix = n.hash(seed=7)
    host = pl.lit(host_pool(n_hosts)).gather(zipf_rank(mix // 3, n_hosts))
    user = zipf_rank(mix // 1_000_033, n_users)
    return n, mix, host, user


def squid(first: int, count: int, lines: int) -> pl.Expr:
    """Squid native lines: CONNECT tunnels and plain requests, padded elapsed field."""
    n, mix, host, user = _draw(first, count, lines)
    connect = (mix // 10) % 5 < 2
    name = pl.when(mix % 7 == 0).then(pl.lit("-")).otherwise(fill("ACME\\user{}", user))
    url = (
        pl.when(connect)
        .then(fill("{}:443", host))
        .otherwise(fill("http://{}/path/{}/page.html?q={}", host, n % 997, mix % 89))
    )
    return fill(
        "{}.{} {} 10.{}.{}.{} {}/{} {} {} {} {} HIER_DIRECT/{} {}",
        pl.lit(START) + n * 3 // 1000,
        (n * 3 % 1000).cast(pl.String).str.zfill(3),
        ((mix // 100) % 120_000).cast(pl.String).str.pad_start(6),
        user % 8, user // 8 % 250, user % 250 + 1,
        pl.when(mix % 50 == 0).then(pl.lit("TCP_DENIED")).otherwise(pl.lit("TCP_MISS")),
        pl.when(mix % 50 == 0).then(pl.lit("403")).otherwise(pl.lit("200")),
        (mix // 17) % 90_000 + 100,
        pl.when(connect).then(pl.lit("CONNECT")).otherwise(pl.lit("GET")),
        url, name, host,
        pl.when(connect).then(pl.lit("-")).otherwise(pl.lit("text/html")),
    )  # fmt: skip


ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t2025-12-01-00-00-00\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery"
    "\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers"
    "\tTTLs\trejected\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring"
    "\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
    "\tvector[interval]\tbool\n"
)


def zeek_dns(first: int, count: int, lines: int) -> pl.Expr:
    """Zeek `dns.log` TSV data lines (24 columns); the header is `ZEEK_HEADER`."""
    n, mix, host, user = _draw(first, count, lines)
    nx = mix % 20 == 0
    return fill(
        "{}.{}\tC{}\t10.{}.{}.{}\t{}\t10.0.0.53\t53\tudp\t{}\t0.0{}\t{}\t1\tC_INTERNET\t1\tA"
        "\t{}\t{}\tF\tF\tT\tT\t0\t{}\t{}\tF",
        pl.lit(START) + n * 3 // 1000,
        (mix % 1_000_000).cast(pl.String).str.zfill(6),
        mix % 1_000_000_007,
        user % 8, user // 8 % 250, user % 250 + 1,
        (mix // 3) % 60_000 + 1024,
        (mix // 5) % 65_536,
        (mix // 7) % 90_000 + 1_000,
        host,
        pl.when(nx).then(pl.lit("3")).otherwise(pl.lit("0")),
        pl.when(nx).then(pl.lit("NXDOMAIN")).otherwise(pl.lit("NOERROR")),
        pl.when(nx).then(pl.lit("-")).otherwise(pl.lit("104.18.32.47,172.64.155.209")),
        pl.when(nx).then(pl.lit("-")).otherwise(pl.lit("300.000000,300.000000")),
    )  # fmt: skip


def suricata_dns(first: int, count: int, lines: int) -> pl.Expr:
    """EVE JSON DNS records: queries, and one answer in five (which the parser skips)."""
    n, mix, host, user = _draw(first, count, lines)
    seconds = n * 3 // 1000
    stamp = fill(
        "2025-12-01T{}:{}:{}.{}+0000",
        (seconds // 3600 % 24).cast(pl.String).str.zfill(2),
        (seconds // 60 % 60).cast(pl.String).str.zfill(2),
        (seconds % 60).cast(pl.String).str.zfill(2),
        (mix % 1_000_000).cast(pl.String).str.zfill(6),
    )
    answer = mix % 5 == 0
    body = (
        pl.when(answer)
        .then(fill(
            '"version":2,"type":"answer","id":{},"rcode":"NOERROR","rrname":"{}","rrtype":"A",'
            '"answers":[{"rrname":"{}","rrtype":"A","ttl":60,"rdata":"104.18.32.47"}]',
            (mix // 5) % 65_536, host, host))
        .otherwise(fill('"type":"query","id":{},"rrname":"{}","rrtype":"A","tx_id":0',
                             (mix // 5) % 65_536, host))
    )  # fmt: skip
    return fill(
        '{"timestamp":"{}","flow_id":{},"in_iface":"eth0","event_type":"dns",'
        '"src_ip":"10.{}.{}.{}","src_port":{},"dest_ip":"10.0.0.53","dest_port":53,'
        '"proto":"UDP","dns":{{}}}',
        stamp, mix % 10**15, user % 8, user // 8 % 250, user % 250 + 1,
        (mix // 3) % 60_000 + 1024, body,
    )  # fmt: skip


def fortigate(first: int, count: int, lines: int) -> pl.Expr:
    """FortiGate syslog lines: web filter (half), forward traffic and DNS records."""
    n, mix, host, user = _draw(first, count, lines)
    kind = mix % 10
    seconds = pl.lit(START) + n * 3 // 1000
    head = fill(
        '<189>date=2025-12-01 time={}:{}:{} devname="FG100F-HQ" devid="FG100FTK22000001" '
        'eventtime={}{} tz="+0100" ',
        (seconds // 3600 % 24).cast(pl.String).str.zfill(2),
        (seconds // 60 % 60).cast(pl.String).str.zfill(2),
        (seconds % 60).cast(pl.String).str.zfill(2),
        seconds, (mix % 1_000_000_000).cast(pl.String).str.zfill(9),
    )  # fmt: skip
    src = fill("srcip=10.{}.{}.{} srcport={}", user % 8, user // 8 % 250, user % 250 + 1,
                    (mix // 3) % 60_000 + 1024)  # fmt: skip
    web = fill(
        'logid="0317013312" type="utm" subtype="webfilter" eventtype="ftgd_allow" '
        'level="notice" vd="root" policyid=12 sessionid={} user="user{}" group="Staff" {} '
        'srcintf="internal" dstip=104.18.32.47 dstport=443 proto=6 service="HTTPS" '
        'hostname="{}" profile="default" action="{}" reqtype="direct" '
        'url="https://{}/p/{}" sentbyte={} rcvdbyte={} direction="outgoing" '
        'msg="URL belongs to an allowed category in policy" method="domain" cat=52 '
        'catdesc="Information Technology"',
        mix % 10**8, user, src, host,
        pl.when(mix % 50 == 0).then(pl.lit("blocked")).otherwise(pl.lit("passthrough")),
        host, n % 997, (mix // 11) % 9_000, (mix // 13) % 90_000,
    )  # fmt: skip
    traffic = fill(
        'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" {} '
        'srcintf="internal" dstip=142.250.74.110 dstport=443 dstintf="wan1" proto=6 '
        'action="accept" policyid=4 service="HTTPS" hostname="{}" sentbyte={} rcvdbyte={} '
        'sentpkt=12 rcvdpkt=14 appcat="unscanned"',
        src, host, (mix // 11) % 9_000, (mix // 13) % 90_000,
    )  # fmt: skip
    dns = fill(
        'logid="1501054802" type="utm" subtype="dns" eventtype="dns-query" level="notice" '
        'vd="root" policyid=12 sessionid={} {} srcintf="internal" dstip=10.0.0.53 dstport=53 '
        'proto=17 profile="default" xid={} qname="{}" qtype="A" qtypeval=1 qclass="IN"',
        mix % 10**8, src, (mix // 5) % 65_536, host,
    )  # fmt: skip
    body = pl.when(kind < 5).then(web).when(kind < 8).then(traffic).otherwise(dns)
    return pl.concat_str(head, body)


#: name → (generator of a block's lines, header written once, shadowscan format name).
FAMILIES: dict[str, tuple[Callable[[int, int, int], pl.Expr], str, str]] = {
    "squid": (squid, "", "squid"),
    "zeek-dns": (zeek_dns, ZEEK_HEADER, "zeek-tsv"),
    "suricata-dns": (suricata_dns, "", "suricata"),
    "fortigate": (fortigate, "", "fortigate"),
}


def generate(family: str, path: Path, lines: int) -> Path:
    """Write `lines` lines of `family` to `path` unless a file of that name already exists."""
    if path.exists():
        return path
    make, header, _ = FAMILIES[family]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        out.write(header.encode())
        for first in range(0, lines, BLOCK):
            frame = pl.select(make(first, min(BLOCK, lines - first), lines).alias("line"))
            out.write(("\n".join(frame["line"]) + "\n").encode())
    tmp.rename(path)
    return path


if __name__ == "__main__":
    generate(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
