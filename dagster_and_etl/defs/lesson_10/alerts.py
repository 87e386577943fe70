import dagster as dg  # noqa: F401

from dagster_and_etl.course import settings  # noqa: F401

# TODO ("Step 3: An alert when a run fails"): write `run_failure_alert`, a run
# failure sensor that is on by default, watches every code location, and adds
# one line to alerts.log in the staging folder for each failed run, naming the
# job and the run id.
