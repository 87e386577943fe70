"""Dagster & ETL: the course package.

Importing it does three things every lesson, test and notebook relies on:
- settings you have not exported are filled in from .env and .env.example
  (course/settings.py), so `dg.EnvVar(...)` and component YAML see them;
- Sling is pointed at the binaries the course installs from Python packages
  (course/sling_offline.py). That has to happen before anything imports
  `sling`, which otherwise tries to download its binary on import;
- dbt (lesson 9) is found in this Python environment, activated or not, and
  sends no usage events (course/dbt_offline.py).
"""

import dagster_and_etl.course.dbt_offline as dbt_offline
from dagster_and_etl.course import settings, sling_offline

settings.apply_to_environ()
sling_offline.prepare()
dbt_offline.prepare()
