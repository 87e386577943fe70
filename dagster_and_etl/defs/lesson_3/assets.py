import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_and_etl.course.workspace import todo

from .partitions import daily_partition, dynamic_partition


@dg.asset(partitions_def=daily_partition, kinds={"csv"})
def import_partition_file(context: dg.AssetExecutionContext) -> str:
    """The source file for the partition's day, data/source/<day>.csv."""
    # TODO: return the full path of the file named after context.partition_key.
    raise todo(3, "import_partition_file", "Step 2: loading one partition")


@dg.asset(partitions_def=daily_partition, kinds={"duckdb"})
def duckdb_partition_table(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_partition_file: str
) -> dg.MaterializeResult:
    """One day's rows in raw_partition_data, replacing that day's earlier load."""
    # TODO: stage the file, then swap this partition's rows in one transaction.
    raise todo(3, "duckdb_partition_table", "Step 2: loading one partition")


@dg.asset(partitions_def=dynamic_partition, kinds={"csv"})
def import_dynamic_partition_file(context: dg.AssetExecutionContext) -> str:
    """The source file the sensor registered as this partition, data/source/<key>.csv."""
    raise todo(3, "import_dynamic_partition_file", "Step 4: dynamic partitions")


@dg.asset(partitions_def=dynamic_partition, kinds={"duckdb"})
def duckdb_dynamic_partition_table(
    context: dg.AssetExecutionContext,
    database: DuckDBResource,
    import_dynamic_partition_file: str,
) -> dg.MaterializeResult:
    """One file's rows in raw_dynamic_partition_data, replacing that file's earlier load."""
    raise todo(3, "duckdb_dynamic_partition_table", "Step 4: dynamic partitions")
