# The same `database` resource as lesson 2: one DuckDB file for every lesson.
from dagster_and_etl.lesson_2.defs.resources import resources as resources
