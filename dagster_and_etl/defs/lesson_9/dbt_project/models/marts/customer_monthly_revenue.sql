-- TODO ("Step 1: a tour of the dbt project"): revenue per customer and month.
-- One row per customer and calendar month, with customer_id, customer_name,
-- month (a date, the first of the month), orders (how many) and revenue (the
-- sum of order_value), from fct_orders and stg_customers.
-- The two lines below tell dbt what this model reads until you write it:
-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('stg_customers') }}
{% if execute %}
{{ exceptions.raise_compiler_error(
    "Lesson 9: `customer_monthly_revenue` is not written yet. Read lessons/lesson_9_dbt.md, "
    ~ "section \"Step 1: a tour of the dbt project\", fill in the TODO in "
    ~ "dagster_and_etl/defs/lesson_9/, then check your work with `course check 9`."
) }}
{% endif %}
