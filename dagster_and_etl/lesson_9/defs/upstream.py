# Given: lesson 6's Sling replication, unchanged. The dbt sources point at its
# asset keys (target/data/<table>), so the graph runs from Postgres through
# Sling into the dbt models. Its `sling` resource comes in through resources.py.
from dagster_and_etl.lesson_6.defs.assets import postgres_sling_assets

__all__ = ["postgres_sling_assets"]
