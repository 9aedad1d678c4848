"""The core never imports infrastructure: checked in a fresh interpreter."""

import json
import subprocess
import sys

INFRASTRUCTURE = {"aiokafka", "faust", "mode", "asyncpg", "fastapi", "httpx", "asyncio", "socket"}


def test_workflow_core_imports_no_infrastructure_module() -> None:
    probe = (
        "import json, sys, workflow_core; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    loaded = set(json.loads(out.stdout))
    assert "workflow_core" in loaded
    assert loaded.isdisjoint(INFRASTRUCTURE), loaded & INFRASTRUCTURE
