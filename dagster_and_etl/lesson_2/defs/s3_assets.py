import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.object_store import duckdb_use_s3, require_object, s3_uri
from dagster_and_etl.course.source_files import read_csv_sql
from dagster_and_etl.course.warehouse import table_metadata

from .assets import replace_rows_from_file


class IngestionFileS3Config(dg.Config):
    bucket: str = Field(description="The S3 bucket, for example dagster-and-etl")
    path: str = Field(
        description="The object's key inside the bucket, for example shares/2018-01-22.csv"
    )


@dg.asset(kinds={"s3"})
def import_file_s3(context: dg.AssetExecutionContext, config: IngestionFileS3Config) -> str:
    """The S3 URI of the object named in run config, once S3 has confirmed it exists."""
    # A HEAD request: a missing bucket or key fails here, with a message naming
    # both, instead of as a bare "404" from the middle of a load.
    found = require_object(config.bucket, config.path)
    context.add_output_metadata(found)
    return s3_uri(config.bucket, config.path)


@dg.asset_check(
    asset=import_file_s3,
    blocking=True,
    description="Every row has a share price above zero; otherwise nothing downstream loads.",
)
def invalid_share_price_s3(import_file_s3: str) -> dg.AssetCheckResult:
    # The same rule as invalid_share_price, read by an in-memory DuckDB that
    # reads the object straight from S3.
    with duckdb.connect() as conn:
        duckdb_use_s3(conn)
        conn.execute(
            f"create table invalid as select * from {read_csv_sql()} "
            "where share_price is null or share_price <= 0",
            [import_file_s3],
        )
        metadata = table_metadata(conn, "invalid", limit=20)
    invalid_rows = metadata.pop("dagster/row_count").value
    return dg.AssetCheckResult(
        passed=invalid_rows == 0,
        metadata={"invalid_rows": invalid_rows, "offending_rows": metadata["preview"]},
    )


@dg.asset(kinds={"duckdb"})
def duckdb_table_s3(database: DuckDBResource, import_file_s3: str) -> dg.MaterializeResult:
    """The object's rows in the DuckDB table raw_s3_data, loaded the same way as raw_data."""
    with database.get_connection() as conn:
        # httpfs and aws, and a secret built from the S3 settings: an endpoint
        # for the local server, or AWS's credential chain when none is set.
        duckdb_use_s3(conn)
        loaded = replace_rows_from_file(conn, "raw_s3_data", import_file_s3)
        metadata = table_metadata(conn, "raw_s3_data")
    return dg.MaterializeResult(metadata={"rows_loaded": loaded, **metadata})
