"""For any organisation, the headline's parts add up and match the tables beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from shadowscan.analyse import gap
from shadowscan.analyse.classify import classify
from shadowscan.policy.config import Grant, Policy
from tests.matched import MATCHED_SCHEMA, weighed

PEOPLE = [f"p{i}" for i in range(12)]
OUTSIDERS = ["contractor", "10.9.9.9"]
SERVICES = ["chatgpt", "claude", "deepl"]
DEPARTMENTS = ["Sales", "Legal"]
T0 = datetime(2026, 11, 2, tzinfo=UTC)

grants = st.lists(
    st.tuples(
        st.sampled_from(SERVICES),
        st.sampled_from(["seats", "departments", "everyone"]),
        st.sets(st.sampled_from([*PEOPLE, "left-the-company"]), max_size=6),
        st.booleans(),
    ),
    max_size=3,
    unique_by=lambda g: g[0],
)
events = st.lists(
    st.tuples(
        st.sampled_from([*PEOPLE, *OUTSIDERS]),
        st.sampled_from(SERVICES),
        st.sampled_from(["ui", "api", "static"]),
        st.sampled_from(["unknown", "personal"]),
    ),
    max_size=40,
)


def _policy(size: int, chosen) -> Policy:
    people = PEOPLE[:size]
    directory = pl.DataFrame(
        {"user": people, "department": [DEPARTMENTS[i % 2] for i in range(size)]}
    )
    made = []
    for service, kind, seats, bundled in chosen:
        seat_frame = pl.DataFrame({"user": sorted(seats)}, schema={"user": pl.String})
        made.append(
            Grant(
                service,
                kind,
                seats=seat_frame if kind == "seats" else None,
                departments=("Legal",) if kind == "departments" else (),
                source=kind,
                bundled=bundled,
            )
        )
    return Policy(path=Path("shadowscan.toml"), directory=directory, grants=tuple(made))


def _events(rows) -> pl.DataFrame:
    frame = [
        (T0 + timedelta(hours=i), who, None if who[0].isdigit() else who, "10.0.0.1",
         service, plan, "suffix:x", signal, 100)
        for i, (who, service, signal, plan) in enumerate(rows)
    ]  # fmt: skip
    schema = MATCHED_SCHEMA
    return pl.DataFrame(frame, schema=schema, orient="row")


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, len(PEOPLE)), chosen=grants, rows=events)
def test_the_headline_parts_add_up(size, chosen, rows):
    policy = _policy(size, chosen)
    classified = weighed(classify(_events(rows), policy))
    seats = gap.seats(classified, policy, size)
    h = gap.headline(classified, policy, observed=size, seats=seats)
    assert h.shadow_users + h.other_ai_users + h.no_ai_use == h.population == size
    assert h.ai_users <= size and h.shadow_users <= h.ai_users
    assert h.unused_seats == seats["unused_seats"].sum()
    assert h.idle_grant_holders == seats["idle_holders"].sum()
    assert all(seats.filter(pl.col("kind") == "seats")["idle_holders"] == 0)
    assert h.covered_people <= size
    departments = gap.departments(classified, policy)
    inside = departments.filter(pl.col("department") != gap.NOT_IN_DIRECTORY)
    assert inside["population"].sum() == size
    assert inside["ai_users"].sum() == h.ai_users
    assert inside["shadow_users"].sum() == h.shadow_users
