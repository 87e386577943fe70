import dagster as dg

# One partition per day that has a source file: 2018-01-22 to 2018-01-24.
# end_date is exclusive, so the last partition is the day before it.
daily_partition = dg.DailyPartitionsDefinition(start_date="2018-01-22", end_date="2018-01-25")

# Keys are added at run time, one per file the sensor finds (the file name
# without .csv), so any file name can become a partition, not just dates.
dynamic_partition = dg.DynamicPartitionsDefinition(name="dynamic_partition")
