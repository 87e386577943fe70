"""dlt on its own: load a few records into the course's DuckDB file.

python -m dagster_and_etl.lesson_5.dlt_quick_start
"""

from dagster_and_etl.course import settings
from dagster_and_etl.course.dlt_pipelines import course_pipeline
from dagster_and_etl.course.warehouse import query
from dagster_and_etl.lesson_5.sources import simple_source


def main() -> None:
    pipeline = course_pipeline("simple_pipeline", dataset_name="simple", progress="log")
    load_info = pipeline.run(simple_source())
    print(load_info)
    print(f"\nIn {settings.duckdb_database()}:")
    print(query("select id, name, signed_up, score from simple.customers order by id"))


if __name__ == "__main__":
    main()
