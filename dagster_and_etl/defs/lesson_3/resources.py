# Given: lesson 2's `database` resource, the one DuckDB file every lesson uses.
from dagster_and_etl.lesson_2.defs.resources import resources as resources
