"""`report --fail-on`: conditions a scheduler alerts on (exit status 3)."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from shadowscan.analyse.aggregate import Report
from shadowscan.errors import UsageError

OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
METRICS: dict[str, Callable[[Report], float | None]] = {
    "shadow-pct": lambda r: r.headline.shadow_users_pct,
    "shadow-share": lambda r: r.headline.shadow_share_of_ai_users_pct,
    "shadow-users": lambda r: r.headline.shadow_users,
    "upload-mb": lambda r: (r.headline.shadow_upload_bytes or 0) / 1_000_000,
    "unused-seats": lambda r: r.headline.unused_seats,
    # in the policy's currency a month; never holds without prices (unknown, not zero)
    "unused-seat-cost": lambda r: r.headline.unused_seat_cost_per_month,
    "training-upload-mb": lambda r: (r.decisions.risk.training_upload_bytes or 0) / 1_000_000,
}
_CONDITION = re.compile(r"^([a-z-]+)\s*(>=|<=|>|<)\s*([0-9]+(?:\.[0-9]+)?)$")
#: Conditions without a threshold: each holds or not.
FLAGS = ("new-service", "no-data")
HELP = (
    "new-service, no-data (no event at all in the period: a dead feed), "
    "or METRIC>N / >= / < / <= with METRIC one of "
    + ", ".join(METRICS)
    + " (e.g. shadow-pct>50, upload-mb>100, unused-seat-cost>500)"
)


def check_conditions(text: str) -> str:
    """Validate one `--fail-on` condition (click callback helper)."""
    if text not in FLAGS:
        match = _CONDITION.match(text.strip())
        if not match or match[1] not in METRICS:
            raise UsageError(f"cannot read the condition {text!r}.", hint=f"Use {HELP}.")
    return text


def failed(report: Report, conditions: list[str]) -> list[str]:
    """The conditions that hold, each as a sentence with the measured value."""
    out = []
    for text in conditions:
        if text == "new-service":
            if report.new_services.height:
                names = ", ".join(report.new_services["service_id"])
                out.append(f"new-service: {names} first seen in this period")
            continue
        if text == "no-data":
            if not report.events_in_period:
                out.append("no-data: no event at all in this period")
            continue
        metric, op, limit = _CONDITION.match(text.strip()).groups()
        value = METRICS[metric](report)
        if value is not None and OPS[op](value, float(limit)):
            out.append(f"{metric} is {value:g}, {op} {limit}")
    return out
