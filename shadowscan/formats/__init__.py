"""Log format plug-ins, registered by name.

`FORMATS` is ordered most specific first: detection tries formats in this
order and the first to read the sample lines wins ties. A third-party format
registers itself the same way: `register(MyFormat())`.

Toolkit (shared by the plug-ins, no format of its own): `base` (the plug-in
contract), `fields` (typed values, URLs, key=value extraction, verdicts),
`syslog` (envelopes and times), `jsonl` (bulk JSON reads) and `mapping`.
Every other module is a plug-in: one log family each, registered below;
`mixed` and `mapped` are built at run time.
"""

from __future__ import annotations

from typing import Any

from shadowscan.formats.base import LogFormat, ParseContext

__all__ = ["FORMATS", "LogFormat", "ParseContext", "register"]


def register(fmt: LogFormat) -> LogFormat:
    _registry()[fmt.name] = fmt
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
    # Header-driven and JSON formats first (their signatures are exact), then
    # vendor-tagged lines, then DNS servers (Infoblox before the BIND it extends),
    # and Squid, whose signature is the loosest, last, after the WSA lines it resembles.
    for _fmt in (
        ZeekTsv(), ZeekJson(), SuricataEve(), EcsJson(), ZscalerNss(), CloudflareGateway(),
        BroadcomCloudSwg(), PanOsJson(), UmbrellaIp(), UmbrellaDns(), NetskopeTransactions(),
        UmbrellaProxy(), W3cExtended(), IisNative(), CefEvents(), LeefEvents(), PanOsCsv(),
        FortiGateKv(), SophosFirewall(), OlfeoAccess(), ProxifierLog(), BlueCoatKv(), SkyhighKv(),
        InfobloxNios(), BindQuery(), UnboundQuery(), WindowsDnsDebug(), DnsmasqQuery(),
        CiscoWsaAccess(), SquidNative(),
    ):  # fmt: skip
        formats[_fmt.name] = _fmt
    globals()["FORMATS"] = formats
    return formats
