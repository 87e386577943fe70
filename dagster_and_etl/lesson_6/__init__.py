"""Lesson 6, completed: replicating Postgres into DuckDB with Sling."""
