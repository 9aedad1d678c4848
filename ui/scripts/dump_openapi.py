"""Write the API's OpenAPI document to ui/src/api/openapi.json without a server.

``make ui-types`` runs this, then openapi-typescript turns the document into
``ui/src/api/schema.d.ts``; ``make ui-types-check`` fails when either file is stale.
Building the app opens nothing (the pool opens in the lifespan), so no database
or broker is needed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sluice_api.app import create_app
from sluice_config import Settings


def main() -> None:
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parents[1] / "src/api/openapi.json"
    )
    document = create_app(Settings()).openapi()
    out.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
