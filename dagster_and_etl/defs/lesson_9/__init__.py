"""Lesson 9: dbt inside Dagster. Read lessons/lesson_9_dbt.md."""
