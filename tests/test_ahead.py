"""`ahead`: a stage in a thread, in order, bounded, and never outliving its consumer."""

from __future__ import annotations

import threading

import pytest

from shadowscan.ahead import ahead


def _workers() -> int:
    return sum(t.name == "shadowscan-ahead" for t in threading.enumerate())


def test_items_arrive_in_order_and_all():
    assert list(ahead(iter(range(1000)))) == list(range(1000))


def test_a_producer_error_is_raised_where_its_item_would_be():
    def failing():
        yield 1
        yield 2
        raise ValueError("bad chunk")

    got = []
    with pytest.raises(ValueError, match="bad chunk"):
        for item in ahead(failing()):
            got.append(item)
    assert got == [1, 2]
    assert _workers() == 0


def test_the_producer_works_at_most_depth_items_ahead():
    produced = []

    def counted():
        for i in range(100):
            produced.append(i)
            yield i

    stage = ahead(counted(), depth=2)
    assert next(stage) == 0
    threading.Event().wait(0.3)  # time enough to run ahead, were it unbounded
    # one handed out, two queued, one held while waiting for room
    assert len(produced) <= 4
    stage.close()


def test_a_consumer_that_stops_early_stops_the_producer_and_its_cleanup_runs():
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    for item in ahead(endless()):
        if item == 5:
            break
    assert closed.wait(1)
    assert _workers() == 0
