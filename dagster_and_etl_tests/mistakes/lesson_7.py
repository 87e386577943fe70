"""Lesson 7: the Sling replication as a component."""

from dagster_and_etl_tests.mistakes import Edit, alternative, mistake

DEFS = "dagster_and_etl/lesson_7/defs/ingest_files/defs.yaml"
REPLICATION = "dagster_and_etl/lesson_7/defs/ingest_files/replication.yaml"
STEP_2 = "Step 2: connections from the environment"
STEP_3 = "Step 3: the replication"

MISTAKES = [
    mistake(
        7, "password_written_into_defs_yaml",
        "the Postgres password is written into defs.yaml instead of {{ env.POSTGRES_PASSWORD }}",
        STEP_2,
        Edit(DEFS, 'password: "{{ env.POSTGRES_PASSWORD }}"', "password: test_pass"),
    ),
    mistake(
        7, "user_written_into_defs_yaml",
        "the Postgres user is written into defs.yaml instead of {{ env.POSTGRES_USER }}",
        STEP_2,
        Edit(DEFS, 'user: "{{ env.POSTGRES_USER }}"', "user: test_user"),
    ),
    mistake(
        7, "password_templated_in_a_comment_only",
        "the env template sits in a comment while the real value is a literal",
        STEP_2,
        Edit(DEFS, 'password: "{{ env.POSTGRES_PASSWORD }}"',
             'password: test_pass  # was "{{ env.POSTGRES_PASSWORD }}"'),
    ),
    mistake(
        7, "component_outside_the_pool",
        "the component's op has no pool, so it writes to DuckDB beside other writers",
        STEP_2,
        Edit(DEFS, "        pool: duckdb\n", ""),
    ),
    mistake(
        7, "scaffolded_type_drops_the_pool",
        "the scaffold's dagster_sling type kept: dagster-sling 0.29 drops op: pool:, so the "
        "step runs outside the duckdb pool (and without the reachability check)",
        STEP_2,
        Edit(DEFS, "type: dagster_and_etl.course.sling_runs.CourseSlingComponent",
             "type: dagster_sling.SlingReplicationCollectionComponent"),
    ),
    mistake(
        7, "incremental_stream_without_primary_key",
        "the incremental orders stream has no primary_key: a changed order is duplicated",
        STEP_3,
        Edit(REPLICATION, "    primary_key: [order_id]\n", ""),
    ),
    mistake(
        7, "duckdb_file_written_into_defs_yaml",
        "the DuckDB file is a fixed path in defs.yaml instead of {{ env.DUCKDB_DATABASE }}",
        STEP_2,
        Edit(DEFS, 'instance: "{{ env.DUCKDB_DATABASE }}"', "instance: data/staging/data.duckdb"),
    ),
]  # fmt: skip

ALTERNATIVES = [
    alternative(
        7, "connections_written_in_another_order",
        "the connections' fields in another order and the templates without quotes around "
        "the port",
        Edit(DEFS,
             '      host: "{{ env.POSTGRES_HOST }}"\n      port: "{{ env.POSTGRES_PORT }}"\n',
             '      port: "{{ env.POSTGRES_PORT }}"\n      host: "{{ env.POSTGRES_HOST }}"\n'),
        Edit(DEFS,
             '      user: "{{ env.POSTGRES_USER }}"\n'
             '      password: "{{ env.POSTGRES_PASSWORD }}"\n',
             "      password: '{{ env.POSTGRES_PASSWORD }}'\n"
             "      user: '{{ env.POSTGRES_USER }}'\n"),
    ),
]  # fmt: skip
