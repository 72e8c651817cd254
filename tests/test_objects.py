"""Logs read where they lie on object storage, against moto's S3 server on loopback."""

from __future__ import annotations

import obstore
from obstore.store import S3Store


def test_the_loopback_server_keeps_each_tests_buckets_apart(s3):
    first, second = s3.bucket(), s3.bucket()
    obstore.put(S3Store(first), "dnslogs/a.csv", b"x\n")
    assert [m["path"] for batch in obstore.list(S3Store(first)) for m in batch] == ["dnslogs/a.csv"]
    assert not [m for batch in obstore.list(S3Store(second)) for m in batch]
