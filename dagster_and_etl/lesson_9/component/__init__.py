"""Lesson 9's dbt project as a component: the same assets, declared in YAML.

Not a code location of its own (it would define the same assets as the
completed lesson); a test checks it matches the Python version.
"""
