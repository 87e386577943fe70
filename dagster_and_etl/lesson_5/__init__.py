"""Lesson 5, completed: embedded ETL with dlt."""
