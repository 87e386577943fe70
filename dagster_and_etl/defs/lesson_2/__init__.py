"""Lesson 2: import a CSV file into DuckDB. Read lessons/lesson_2_file_import.md."""
