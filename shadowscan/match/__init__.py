"""Matching: the `rules/` catalogue compiled into joins over unique hosts."""
