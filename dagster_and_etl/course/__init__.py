"""The course's shared runtime kit: settings, notebook helpers, the `course` CLI.

Lessons import from here instead of copying plumbing; a lesson's own modules
hold only what that lesson teaches.
"""
