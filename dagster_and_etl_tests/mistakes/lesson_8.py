"""Lesson 8 (capstone): the sales project, organized."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

SENSORS = "dagster_and_etl/lesson_8/sensors.py"
REQUESTS = "dagster_and_etl/lesson_8/assets/requests.py"
JOINS = "dagster_and_etl/lesson_8/assets/joins.py"
ANALYSIS = "dagster_and_etl/lesson_8/assets/analysis.py"
PARTITIONS = "dagster_and_etl/lesson_8/partitions.py"
STEP_2 = "Step 2: partitions and resources"
STEP_3 = "Step 3: assets by stage"
STEP_5 = "Step 5: the request sensor"
WHERE = "where date >= ?::date and date < ?::date and department = ? and product_name = ?"
PARAMS = "[config.start_date, config.end_date, config.department, config.product],"

MISTAKES = [
    mistake(
        8, "cursor_keeps_only_this_ticks_files",
        "the request sensor's cursor keeps only the files run this tick, so a file is run "
        "again after a quiet tick",
        STEP_5,
        Edit(SENSORS,
             "        current[path.name] = modified\n"
             "        if seen.get(path.name) == modified:\n            continue\n",
             "        if seen.get(path.name) == modified:\n            continue\n"
             "        current[path.name] = modified\n"),
    ),
    mistake(
        8, "run_key_is_the_file_name",
        "the run key is the file name alone, so a request saved again is skipped as a duplicate",
        STEP_5,
        Edit(SENSORS, 'run_key=f"{path.name}:{modified}"', "run_key=path.name"),
    ),
    mistake(
        8, "sql_pasted_with_quotes_escaped_by_hand",
        "the request's values are pasted into the SQL with quotes doubled by hand instead of "
        "bound as parameters",
        STEP_5,
        Edit(REQUESTS, '            """\n            create or replace temp table adhoc_result',
             '            f"""\n            create or replace temp table adhoc_result'),
        Edit(REQUESTS, WHERE,
             "where date >= '{config.start_date}'::date and date < '{config.end_date}'::date "
             "and department = '{config.department.replace(\"'\", \"''\")}' "
             "and product_name = '{config.product.replace(\"'\", \"''\")}'"),
        Edit(REQUESTS, "            " + PARAMS + "\n", ""),
    ),
    mistake(
        8, "sql_pasted_as_is",
        "the request's values are pasted into the SQL as they are: a quote breaks the query",
        STEP_5,
        Edit(REQUESTS, '            """\n            create or replace temp table adhoc_result',
             '            f"""\n            create or replace temp table adhoc_result'),
        Edit(REQUESTS, WHERE,
             "where date >= '{config.start_date}'::date and date < '{config.end_date}'::date "
             "and department = '{config.department}' and product_name = '{config.product}'"),
        Edit(REQUESTS, "            " + PARAMS + "\n", ""),
    ),
    mistake(
        8, "orphan_check_counts_only_reps",
        "the orphan check looks only for a missing rep, not a missing product",
        STEP_3,
        Edit(JOINS, 'where="rep_name is null or product_name is null"', 'where="rep_name is null"'),
    ),
    mistake(
        8, "inner_join_hides_the_orphans",
        "joined_data uses inner joins: sales without a known rep or product vanish, and the "
        "orphan check has nothing left to find",
        STEP_3,
        Edit(JOINS, "left join", "join", count=2),
    ),
    mistake(
        8, "partition_rebuild_appends",
        "a partition rebuild inserts without deleting its old rows: a re-run doubles the month",
        STEP_3,
        Edit(ANALYSIS, 'conn.execute(f"delete from {table} where {column} = ?", [key])', "pass"),
    ),
    mistake(
        8, "month_key_not_trimmed",
        "the monthly partition key 2024-03-01 is compared with '%Y-%m': no month gets any row",
        STEP_3,
        Edit(ANALYSIS, "month = context.partition_key[:7]", "month = context.partition_key"),
    ),
    mistake(
        8, "end_date_taken_as_inclusive",
        "end_date is exclusive: ending the monthly partitions on 2024-06-01 drops June",
        STEP_2,
        Edit(PARTITIONS, 'end_date="2024-07-01"', 'end_date="2024-06-01"'),
    ),
    mistake(
        8, "no_eager_automation",
        "the analysis assets have no automation condition, so they never follow new sales",
        STEP_3,
        Edit(ANALYSIS, "    automation_condition=dg.AutomationCondition.eager(),\n", "", count=2),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        8, "own_helper_and_sensor_tags",
        "another helper name for the partition rebuild, an extra refreshed_at column in "
        "monthly_sales_performance, and a sensor whose run key is a content hash",
        Edit(ANALYSIS, "replace_partition(", "rebuild_slice(", count=3),
        Edit(ANALYSIS, "total_dollar_amount double\n            )",
             "total_dollar_amount double, refreshed_at timestamp\n            )"),
        Edit(ANALYSIS, "select ?, rep_name, product_name, sum(dollar_amount)\n",
             "select ?, rep_name, product_name, sum(dollar_amount), now()::timestamp\n"),
        Edit(SENSORS, 'run_key=f"{path.name}:{modified}"',
             'run_key=path.name + ":" + __import__("hashlib").sha256('
             'path.read_bytes() + str(modified).encode()).hexdigest()[:16]'),
    ),
]  # fmt: skip
