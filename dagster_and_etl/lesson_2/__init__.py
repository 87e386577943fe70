"""Lesson 2, completed: importing a CSV file into DuckDB."""
