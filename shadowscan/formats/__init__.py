"""Log format plug-ins, registered by name.

`FORMATS` is ordered most specific first: detection tries formats in this
order and the first to read the sample lines wins ties. A third-party format
registers itself the same way, `register(MyFormat())`, optionally with a
priority (`register(MyFormat(), EXACT)`) saying where detection tries it.

Toolkit (shared by the plug-ins, no format of its own): `base` (the plug-in
contract), `fields` (typed values, URLs, key=value extraction, verdicts),
`projection` (a format's fields onto the event schema), `syslog` (envelopes
and times), `jsonl` (bulk JSON reads) and `mapping`. Every other module is a
plug-in: one log family each, registered below; `mixed` and `mapped` are
built at run time.
"""

from __future__ import annotations

from typing import Any

from shadowscan.formats.base import LogFormat, ParseContext

__all__ = ["DNS", "EXACT", "FORMATS", "LOOSE", "TAGGED", "LogFormat", "ParseContext", "register"]

#: Detection priorities, lowest tried first: exact signatures (headers, JSON), lines a
#: vendor tags, DNS servers' query logs, then the loose ones (Squid's bare fields).
EXACT, TAGGED, DNS, LOOSE = 100, 200, 300, 900

_PRIORITY: dict[str, int] = {}


def register(fmt: LogFormat, priority: int = TAGGED) -> LogFormat:
    """Add `fmt` to `FORMATS` at its detection priority (ties keep registration order).

    The default puts a new format with the vendor-tagged ones: after the exact
    signatures, before the DNS servers and Squid, whose looser signatures would
    otherwise claim its lines first.
    """
    return _add(_registry(), fmt, priority)


def _add(formats: dict[str, LogFormat], fmt: LogFormat, priority: int) -> LogFormat:
    _PRIORITY[fmt.name] = priority
    formats[fmt.name] = fmt
    ordered = sorted(formats.values(), key=lambda f: _PRIORITY[f.name])
    formats.clear()
    formats.update((f.name, f) for f in ordered)
    return fmt


def __getattr__(name: str) -> Any:
    """`FORMATS`, built on first use: importing a helper module of this package (the
    matcher uses `fields`) then costs no parser imports, which `rules explain` never needs."""
    if name == "FORMATS":
        return _registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _registry() -> dict[str, LogFormat]:
    if "FORMATS" in globals():
        return globals()["FORMATS"]
    from shadowscan.formats.broadcom import BroadcomCloudSwg
    from shadowscan.formats.cef import CefEvents, LeefEvents
    from shadowscan.formats.cisco_wsa import CiscoWsaAccess
    from shadowscan.formats.cloudflare import CloudflareGateway
    from shadowscan.formats.dns_bind import BindQuery, InfobloxNios
    from shadowscan.formats.dns_servers import DnsmasqQuery, UnboundQuery
    from shadowscan.formats.dns_windows import WindowsDnsDebug
    from shadowscan.formats.ecs import EcsJson
    from shadowscan.formats.fortigate import FortiGateKv
    from shadowscan.formats.iis import IisNative
    from shadowscan.formats.keyvalue import BlueCoatKv, SkyhighKv
    from shadowscan.formats.netskope import NetskopeTransactions
    from shadowscan.formats.olfeo import OlfeoAccess
    from shadowscan.formats.panos import PanOsCsv
    from shadowscan.formats.panos_json import PanOsJson
    from shadowscan.formats.proxifier import ProxifierLog
    from shadowscan.formats.sophos import SophosFirewall
    from shadowscan.formats.squid import SquidNative
    from shadowscan.formats.suricata import SuricataEve
    from shadowscan.formats.umbrella import UmbrellaDns, UmbrellaIp, UmbrellaProxy
    from shadowscan.formats.w3c import W3cExtended
    from shadowscan.formats.zeek import ZeekJson, ZeekTsv
    from shadowscan.formats.zscaler import ZscalerNss

    formats: dict[str, LogFormat] = {}
    # Infoblox before the BIND it extends; Squid last, after the WSA lines it resembles.
    for priority, builtins in (
        (EXACT, (
            ZeekTsv(), ZeekJson(), SuricataEve(), EcsJson(), ZscalerNss(), CloudflareGateway(),
            BroadcomCloudSwg(), PanOsJson(), UmbrellaIp(), UmbrellaDns(), NetskopeTransactions(),
            UmbrellaProxy(), W3cExtended(), IisNative(),
        )),
        (TAGGED, (
            CefEvents(), LeefEvents(), PanOsCsv(), FortiGateKv(), SophosFirewall(), OlfeoAccess(),
            ProxifierLog(), BlueCoatKv(), SkyhighKv(),
        )),
        (DNS, (InfobloxNios(), BindQuery(), UnboundQuery(), WindowsDnsDebug(), DnsmasqQuery())),
        (LOOSE, (CiscoWsaAccess(), SquidNative())),
    ):  # fmt: skip
        for fmt in builtins:
            _add(formats, fmt, priority)
    globals()["FORMATS"] = formats
    return formats
