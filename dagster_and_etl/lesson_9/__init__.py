"""Lesson 9, completed: a dbt project transforms the Sling copies inside DuckDB."""
