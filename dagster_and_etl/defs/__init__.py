"""Your workspace: one folder per lesson, loaded by `dg dev` from the repository root.

Each lesson's starter files hold TODOs. Until you fill one in, running it
fails with a message that names the lesson page section to read.
"""
