import dagster as dg

from dagster_and_etl.course.workspace import todo

from .assets import import_file


@dg.asset_check(
    asset=import_file,
    blocking=True,
    description="Every row has a share price above zero; otherwise nothing downstream loads.",
)
def invalid_share_price(
    context: dg.AssetCheckExecutionContext, import_file: str
) -> dg.AssetCheckResult:
    # TODO: fail when any row's share price is missing, zero or negative, and
    # put the offending rows in the result's metadata.
    raise todo(2, "invalid_share_price", "Step 4: a blocking asset check")
