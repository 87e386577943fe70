import dagster as dg

from dagster_and_etl.course.sales_data import CATEGORIES

# One partition per month of sales, January to June 2024 (end_date is exclusive).
monthly_partition = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2024-07-01")

product_category_partition = dg.StaticPartitionsDefinition(list(CATEGORIES))
