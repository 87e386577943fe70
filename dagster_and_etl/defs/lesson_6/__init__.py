"""Lesson 6: replicating Postgres with Sling. Read lessons/lesson_6_sling.md."""
