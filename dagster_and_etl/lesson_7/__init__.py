"""Lesson 7, completed: the Sling replication as a Dagster component."""
