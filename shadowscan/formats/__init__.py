"""Log format plug-ins, registered by name.

`FORMATS` is ordered most specific first: detection tries formats in this
order and the first to read the sample lines wins ties. A third-party format
registers itself the same way: `FORMATS[MyFormat.name] = MyFormat()`.
"""

from __future__ import annotations

from shadowscan.formats.base import LogFormat, ParseContext
from shadowscan.formats.squid import SquidNative
from shadowscan.formats.zeek import ZeekJson, ZeekTsv

FORMATS: dict[str, LogFormat] = {}


def register(fmt: LogFormat) -> LogFormat:
    FORMATS[fmt.name] = fmt
    return fmt


for _fmt in (ZeekTsv(), ZeekJson(), SquidNative()):
    register(_fmt)

__all__ = ["FORMATS", "LogFormat", "ParseContext", "register"]
