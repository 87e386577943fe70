"""Lesson 4: ingesting an API. Read lessons/lesson_4_apis.md."""
