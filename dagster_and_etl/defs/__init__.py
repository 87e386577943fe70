"""Your workspace: one folder per lesson, each a code location of its own.

Each lesson's starter files hold TODOs. Until you fill one in, running it
fails with a message that names the lesson page section to read. `course dev N`
serves your lesson N, `course check N` grades it.
"""
