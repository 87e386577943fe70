"""Lesson 3, completed: partitions, schedules and sensors for file ingestion."""
