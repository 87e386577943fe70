"""Lesson 7: the replication as a component. Read lessons/lesson_7_components.md."""
