import dagster as dg

# TODO ("Step 1: daily partitions"): end the daily partitions after the last day
# that has a source file, so there is exactly one partition per file.
daily_partition = dg.DailyPartitionsDefinition(start_date="2018-01-22")

dynamic_partition = dg.DynamicPartitionsDefinition(name="dynamic_partition")
