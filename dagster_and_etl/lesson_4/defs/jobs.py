import dagster as dg

from .assets import asteroids, asteroids_file, duckdb_asteroid_table

asteroid_job = dg.define_asset_job(
    "asteroid_job", selection=[asteroids, asteroids_file, duckdb_asteroid_table]
)
