"""Lesson 8 (capstone): organize the sales project. Read lessons/lesson_8_capstone.md.

dagster_and_etl/lesson_8/before.py is the whole project in one file: take it
apart into the modules of this folder.
"""
