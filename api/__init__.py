"""HTTP API (FastAPI): alerts, search, triage, statistics and the weekly digest."""
