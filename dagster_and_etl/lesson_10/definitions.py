"""Lesson 10's completed code as its own code location.

dg dev -m dagster_and_etl.lesson_10.definitions
"""

import dagster as dg

from dagster_and_etl.course.locations import load_defs_folder


@dg.definitions
def defs() -> dg.Definitions:
    return load_defs_folder("dagster_and_etl.lesson_10.defs")
