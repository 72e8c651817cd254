"""A store on object storage: the few things the store does with its folder, done on a
bucket prefix instead.

`ObjectPath` stands where the store keeps a `Path` (joined with `/`, asked
whether a table's `_delta_log` exists, the version marker read and written), and
`str()` of it is the address deltalake and Polars open with credentials from the
environment. Parquet files are uploaded as they are written (`Upload`), in
parts, so memory stays bounded as it does locally.
"""

from __future__ import annotations

from dataclasses import dataclass

from shadowscan.cloud import ObjectUri, bucket_store, remote_errors


@dataclass(frozen=True)
class ObjectPath:
    """A key prefix (a "folder") on object storage."""

    uri: ObjectUri
    store: object

    @classmethod
    def of(cls, address: str) -> ObjectPath:
        uri = ObjectUri.parse(address)
        return cls(uri, bucket_store(uri))

    def __truediv__(self, name: str) -> ObjectPath:
        key = f"{self.uri.key}/{name}" if self.uri.key else name
        return ObjectPath(ObjectUri(self.uri.scheme, self.uri.bucket, key), self.store)

    def __str__(self) -> str:
        return str(self.uri)

    def is_dir(self) -> bool:
        """Whether any object lies below: object storage has no folders of its own."""
        import obstore

        with remote_errors(str(self), "list"):
            for batch in obstore.list(self.store, f"{self.uri.key}/", chunk_size=1):
                return bool(batch)
        return False

    def is_file(self) -> bool:
        import obstore

        with remote_errors(str(self), "read"):
            try:
                obstore.head(self.store, self.uri.key)
            except FileNotFoundError:  # what obstore raises for a missing object
                return False
        return True

    def read_text(self) -> str:
        import obstore

        with remote_errors(str(self), "read"):
            return obstore.get(self.store, self.uri.key).bytes().to_bytes().decode("utf-8")

    def write_text(self, text: str) -> None:
        import obstore

        with remote_errors(str(self), "write"):
            obstore.put(self.store, self.uri.key, text.encode("utf-8"))

    def total_size(self) -> int:
        """Bytes of every object below."""
        import obstore

        with remote_errors(str(self), "list"):
            stream = obstore.list(self.store, f"{self.uri.key}/", chunk_size=1000)
            return sum(meta["size"] for batch in stream for meta in batch)

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Nothing to do: a prefix exists once an object lies below it."""

    def open_upload(self) -> Upload:
        import obstore

        with remote_errors(str(self), "write"):
            return Upload(obstore.open_writer(self.store, self.uri.key), str(self))


class Upload:
    """A write-only file that uploads in parts (S3 multipart), as pyarrow's writer needs it:
    a `closed` attribute and a `tell()` (the bytes written so far)."""

    closed = False

    def __init__(self, writer, name: str):
        self._writer, self.name, self.size = writer, name, 0

    def write(self, data) -> int:
        with remote_errors(self.name, "write"):
            self._writer.write(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        """Parts are uploaded as they fill; close() sends the last and finishes the object."""

    def close(self) -> None:
        if not self.closed:
            with remote_errors(self.name, "write"):
                self._writer.close()
            self.closed = True
