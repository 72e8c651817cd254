"""The live terminal dashboard: the one `Report` on screen, drill-down to the evidence.

`source.py` loads the report (and a service's classified events) from the
store, again only when the store changed; `view.py` holds what the user chose
(filter, time range, sort) and narrows the report's rows to it; `panels.py`
turns a report into Rich renderables, shared by the app and `--once`;
`drill.py` builds the service → identities → evidence tables; `save.py`
writes the current view; `app.py` is the Textual app.
"""
