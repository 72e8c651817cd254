"""Enrichment: clean hosts and identities, computed once per unique value."""
