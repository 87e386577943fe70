# Given: lesson 2's `database` resource, which lesson 6's downstream assets use.
# Sling's connections are yours to write, in ingest_files/defs.yaml.
from dagster_and_etl.lesson_2.defs.resources import resources as resources
