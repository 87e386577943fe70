import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from dagster_and_etl.course.object_store import duckdb_use_s3, require_object, s3_uri
from dagster_and_etl.course.source_files import discard_parsed_copies, parsed_copy
from dagster_and_etl.course.warehouse import table_metadata

from .assets import replace_rows_from_file
from .checks import share_price_result


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
def invalid_share_price_s3(
    context: dg.AssetCheckExecutionContext, import_file_s3: str
) -> dg.AssetCheckResult:
    # An in-memory DuckDB reads the object from S3 once, into the same kind of
    # parsed copy, which duckdb_table_s3 then loads; the rule is Step 4's.
    with duckdb.connect() as conn:
        duckdb_use_s3(conn)
        parsed = parsed_copy(context.run.run_id, import_file_s3, conn)
    return share_price_result(context, parsed)


@dg.asset(kinds={"duckdb"})
def duckdb_table_s3(
    context: dg.AssetExecutionContext, database: DuckDBResource, import_file_s3: str
) -> dg.MaterializeResult:
    """The object's rows in the DuckDB table raw_s3_data, loaded the same way as raw_data."""
    with database.get_connection() as conn:
        # httpfs and aws, and a secret built from the S3 settings: an endpoint
        # for the local server, or AWS's credential chain when none is set.
        duckdb_use_s3(conn)
        parsed = parsed_copy(context.run.run_id, import_file_s3, conn)
        loaded = replace_rows_from_file(conn, "raw_s3_data", parsed, import_file_s3)
        metadata = table_metadata(conn, "raw_s3_data")
    discard_parsed_copies(context.run.run_id)
    return dg.MaterializeResult(metadata={"rows_loaded": loaded, **metadata})
