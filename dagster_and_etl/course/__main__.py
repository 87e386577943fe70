"""`python -m dagster_and_etl.course …` is the `course` command, for when it is not on PATH."""

from dagster_and_etl.course.cli import main

main()
