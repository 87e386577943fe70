import dagster as dg

from .jobs import asteroid_job


@dg.schedule(job=asteroid_job, cron_schedule="0 6 * * *", execution_timezone="UTC")
def date_range_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every morning at 06:00, load the day that ended at midnight."""
    run_date = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return dg.RunRequest(
        run_key=run_date,
        run_config={"ops": {"asteroids": {"config": {"date": run_date}}}},
    )
