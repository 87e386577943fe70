"""Lesson 8 (capstone): organize the sales project. Read lessons/lesson_8_capstone.md.

before.py is the whole project in one file, and definitions.py serves it as it
is. Take it apart into the modules of this folder, wiring them in definitions.py.
"""
