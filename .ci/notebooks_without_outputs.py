"""Fail if any notebook under the given folders is committed with outputs or execution counts."""

import json
import sys
from pathlib import Path

dirty = []
for folder in sys.argv[1:]:
    for path in sorted(Path(folder).rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        if any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"):
            dirty.append(str(path))

if dirty:
    print("notebooks with outputs (clear them before committing):", *dirty, sep="\n  ")
    sys.exit(1)
print("all notebooks are clean")
