import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course.workspace import todo

# One partition per object s3_sensor finds under COURSE_S3_PREFIX: the object's
# name without the prefix and .csv, as dynamic_partition does for local files.
s3_partition = dg.DynamicPartitionsDefinition(name="s3_partition")


@dg.asset(partitions_def=s3_partition, kinds={"s3"})
def import_s3_partition_file(context: dg.AssetExecutionContext) -> str:
    """The S3 URI of the partition's object: <COURSE_S3_PREFIX><key>.csv in COURSE_S3_BUCKET."""
    # TODO: build the s3:// URI from the settings COURSE_S3_BUCKET and
    # COURSE_S3_PREFIX (settings.get) and context.partition_key.
    raise todo(3, "import_s3_partition_file", "Step 7: a sensor on object storage")


@dg.asset(partitions_def=s3_partition, kinds={"duckdb"})
def duckdb_s3_partition_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_s3_partition_file: str
) -> dg.MaterializeResult:
    """One object's rows in raw_s3_partition_data, replacing that object's earlier load."""
    # TODO: prepare the connection with duckdb_use_s3, then swap this
    # partition's rows as duckdb_dynamic_partition_table does.
    raise todo(3, "duckdb_s3_partition_table", "Step 7: a sensor on object storage")


import_s3_partition_job = dg.define_asset_job(
    "import_s3_partition_job",
    selection=[import_s3_partition_file, duckdb_s3_partition_table],
)
