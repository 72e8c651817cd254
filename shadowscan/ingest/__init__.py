"""Getting bytes out of log files: discovery, decompression, chunking."""
