"""shadowscan: find shadow AI use in proxy, firewall and DNS logs."""

__version__ = "0.1.0"
