import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course import settings
from dagster_and_etl.course.object_store import duckdb_use_s3, s3_uri
from dagster_and_etl.course.warehouse import table_metadata

from .assets import replace_partition

# One partition per object s3_sensor finds under COURSE_S3_PREFIX: the object's
# name without the prefix and .csv, as dynamic_partition does for local files.
s3_partition = dg.DynamicPartitionsDefinition(name="s3_partition")


@dg.asset(partitions_def=s3_partition, kinds={"s3"})
def import_s3_partition_file(context: dg.AssetExecutionContext) -> str:
    """The S3 URI of the partition's object: <COURSE_S3_PREFIX><key>.csv in COURSE_S3_BUCKET."""
    key = f"{settings.get('COURSE_S3_PREFIX')}{context.partition_key}.csv"
    return s3_uri(settings.get("COURSE_S3_BUCKET"), key)


@dg.asset(partitions_def=s3_partition, kinds={"duckdb"})
def duckdb_s3_partition_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_s3_partition_file: str
) -> dg.MaterializeResult:
    """One object's rows in raw_s3_partition_data, replacing that object's earlier load."""
    with database.get_connection() as conn:
        duckdb_use_s3(conn)
        loaded = replace_partition(
            conn, "raw_s3_partition_data", import_s3_partition_file, context.partition_key
        )
        metadata = table_metadata(
            conn, "raw_s3_partition_data", where="partition_key = ?", params=[context.partition_key]
        )
    return dg.MaterializeResult(metadata={"rows_loaded": loaded, **metadata})


import_s3_partition_job = dg.define_asset_job(
    "import_s3_partition_job",
    selection=[import_s3_partition_file, duckdb_s3_partition_table],
)
