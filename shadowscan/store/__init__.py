"""The event store: a Delta Lake table of events plus a table of ingest runs."""
