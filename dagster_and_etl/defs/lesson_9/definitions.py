"""Your lesson 9 as a code location of its own: `course dev 9` serves it.

Every file in this folder is loaded, as `dg` loads a project's defs folder.
"""

from dagster_and_etl.course.locations import defs_folder

defs = defs_folder(__package__)
