import dagster as dg

from .assets import (
    duckdb_dynamic_partition_table,
    duckdb_partition_table,
    import_dynamic_partition_file,
    import_partition_file,
)

import_partition_job = dg.define_asset_job(
    "import_partition_job",
    selection=[import_partition_file, duckdb_partition_table],
)

import_dynamic_partition_job = dg.define_asset_job(
    "import_dynamic_partition_job",
    selection=[import_dynamic_partition_file, duckdb_dynamic_partition_table],
)
