"""Executes an increment's notebooks with nbclient in a fresh Python kernel, from the
notebooks/ folder as a user would, and prints one line per notebook: its name, the number
of code cells run and the text of its first output. Any cell error fails the run."""
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

notebooks = Path(sys.argv[1])
for name in sys.argv[2:]:
    path = notebooks / name
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebooks)}},
    ).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    if errors:
        raise SystemExit(f"{name}: {errors[0].ename}: {errors[0].evalue}")
    first = next(
        (o.get("text") or o.get("data", {}).get("text/plain", "") for o in outputs), ""
    )
    print(name, len(code), " ".join(str(first).split())[:120])
