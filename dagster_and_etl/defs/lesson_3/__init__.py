"""Lesson 3: partitions, schedules and sensors. Read lessons/lesson_3_partitions.md."""
