"""The organisation's policy: who works here, what it pays for (`shadowscan.toml`)."""
