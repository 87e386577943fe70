"""Lesson 5: dlt on its own and inside Dagster."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

ASSETS = "dagster_and_etl/lesson_5/defs/assets.py"
SOURCES = "dagster_and_etl/lesson_5/sources.py"
STEP_2 = "Step 2: dlt assets in Dagster"
STEP_3 = "Step 3: the CSV pipeline on dlt"
STEP_4 = "Step 4: the translator"
STEP_5 = "Step 5: the NASA pipeline on dlt"
STEP_6 = "Step 6: write dispositions"
POOL = "One writer at a time"

MISTAKES = [
    mistake(
        5, "pipeline_step_failed_left_unwrapped",
        "dlt's PipelineStepFailed is left as it is: the run shows dlt's wrapper, not the "
        "API's message",
        STEP_5,
        Edit(ASSETS, "raise _failure_inside(error) or error from error", "raise"),
    ),
    mistake(
        5, "source_and_pipeline_reused_across_runs",
        "the asset reuses the source and pipeline made at import time instead of fresh ones "
        "per run",
        STEP_2,
        Edit(ASSETS,
             "yield from dlt.run(context=context, dlt_source=simple_source(), "
             "dlt_pipeline=simple_pipeline())",
             "yield from dlt.run(context=context)"),
    ),
    mistake(
        5, "csv_appended",
        "the CSV resource appends: reloading a file doubles its days",
        STEP_6,
        Edit(SOURCES, 'write_disposition={"disposition": "merge", "strategy": "delete-insert"},',
             'write_disposition="append",'),
    ),
    mistake(
        5, "csv_replaces_the_whole_table",
        "the CSV resource replaces the whole table, so loading one day drops the others",
        STEP_6,
        Edit(SOURCES, 'write_disposition={"disposition": "merge", "strategy": "delete-insert"},',
             'write_disposition="replace",'),
    ),
    mistake(
        5, "nasa_appended_without_a_primary_key",
        "the NeoWs resource appends with no primary key: running a day again duplicates it",
        STEP_6,
        Edit(SOURCES,
             '        primary_key=["id", "approach_date"],\n'
             '        write_disposition="merge",\n',
             '        write_disposition="append",\n'),
    ),
    mistake(
        5, "csv_types_left_to_inference",
        "the CSV columns carry no type hints, so every value lands as text",
        STEP_3,
        Edit(SOURCES,
             '        columns={\n            "date": {"data_type": "date"},\n'
             '            "share_price": {"data_type": "double"},\n'
             '            "amount": {"data_type": "bigint"},\n'
             '            "spend": {"data_type": "double"},\n'
             '            "shift": {"data_type": "double"},\n'
             '            "spread": {"data_type": "double"},\n        },\n', ""),
    ),
    mistake(
        5, "no_translator",
        "no translator: the dlt CSV asset does not depend on import_file",
        STEP_4,
        Edit(ASSETS, "    dagster_dlt_translator=CsvTranslator(),\n", ""),
    ),
    mistake(
        5, "nasa_writer_outside_the_pool",
        "dlt_nasa writes to DuckDB outside the duckdb pool",
        POOL,
        Edit(ASSETS, '@dg.asset(kinds={"dlt", "duckdb"}, pool=DUCKDB_POOL)',
             '@dg.asset(kinds={"dlt", "duckdb"})'),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        5, "own_unwrapping_and_helper_names",
        "another helper name, and the API's error unwrapped by walking __cause__ in the except",
        Edit(ASSETS, "_failure_inside(", "api_error_in(", count=2),
        Edit(ASSETS, "def load_asteroids(", "def run_neo_pipeline("),
        Edit(ASSETS, "return load_asteroids(", "return run_neo_pipeline(", count=2),
    ),
]  # fmt: skip
