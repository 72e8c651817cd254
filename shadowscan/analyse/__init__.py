"""Analysis: select a period, re-apply the current rules, aggregate once."""
