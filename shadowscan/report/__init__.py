"""Renderers: the one Report object as terminal tables, JSON, and event exports."""
