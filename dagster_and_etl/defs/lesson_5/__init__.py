"""Lesson 5: embedded ETL with dlt. Read lessons/lesson_5_dlt.md."""
