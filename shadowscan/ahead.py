"""Run a pipeline stage one step ahead of its consumer, in a thread.

Polars and the Parquet writer release the GIL, so stages in separate threads
(read and parse; normalise and match; encode and write) overlap on several
cores instead of taking turns on one. The queue between two stages holds
`depth` items, which bounds the memory that working ahead costs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL = 0.1  # seconds between looks at the stop flag while the queue is full


def ahead(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield `items` in order, producing each next one in a thread while this one is used.

    An exception in the producer is raised in the consumer at the point it would
    have been. A consumer that stops early (a break, an exception, close()) stops
    the producer after its current item, so no thread outlives the stage or
    reads a file its owner has closed.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, re-raised there
            put(exc)
        else:
            put(_DONE)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # a generator's own cleanup runs in the thread that ran it

    worker = threading.Thread(target=produce, name="shadowscan-ahead", daemon=True)
    worker.start()
    try:
        while (item := slots.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
