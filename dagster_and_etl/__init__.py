"""Dagster & ETL: the course package.

Importing it points Sling at the binaries the course installs from Python
packages (see `course/sling_offline.py`). It has to happen before anything
imports `sling`, which otherwise tries to download its binary on import.
"""

from dagster_and_etl.course import sling_offline

sling_offline.prepare()
