"""Lesson 8, completed: the sales ETL project, organized.

`before.py` is the same project in one file, kept for comparison.
"""
