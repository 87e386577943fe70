"""The project's assets, one module per stage: ingestion, joins, analysis, requests."""
