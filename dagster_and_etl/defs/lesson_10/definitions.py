"""Your lesson 10 as a code location of its own: `course dev 10` serves it.

Every file in this folder is loaded, as `dg` loads a project's defs folder.
Your dagster.yaml here is not loaded as code: `course instance` copies it to
DAGSTER_HOME, where every Dagster process reads it.
"""

from dagster_and_etl.course.locations import defs_folder

defs = defs_folder(__package__)
