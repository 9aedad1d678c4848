"""Health probe of the images (standard library only: no curl or wget in them).

``python /app/healthcheck.py WF_API_PORT 8000``: GET /healthz on this
container's own port, read from the named ``WF_*`` setting (else the default
given) -- the images' HEALTHCHECK. ``python /app/healthcheck.py URL...``: every
URL must answer 200 -- the Helm chart's ``helm test`` pod (``/readyz`` of the
API and ingest). Exit 0 when all answered 200, else 1 with the reason on stderr.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def urls(args: list[str]) -> list[str]:
    if args and args[0].startswith(("http://", "https://")):
        return args
    setting, default = args
    return [f"http://127.0.0.1:{os.environ.get(setting, default)}/healthz"]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            ok = response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return False
    print(f"healthcheck: {url}: {'ok' if ok else response.status}", file=sys.stderr)
    return ok


def main(args: list[str]) -> int:
    results = [answers(url) for url in urls(args)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
