"""A local SMTP sink for ``sluice dev``: outbound mail (acknowledgements) lands
in ``<cache>/local/mail/*.eml`` instead of failing against a relay that is not
there, so a developer sees exactly what a customer would receive.

Run as ``python -m sluice_devstack.mail_sink``; listens on ``WF_SMTP_HOST``:
``WF_SMTP_PORT`` (the address the services send to).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sluice_config import load_settings


class SaveToFolder:
    """aiosmtpd handler: each message becomes one numbered ``.eml`` file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = len(list(self.folder.glob("*.eml")))

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.count += 1
        path = self.folder / f"{self.count:06d}.eml"
        path.write_bytes(content)
        subject = message_from_bytes(content, policy=policy.default).get("Subject", "")
        print(
            f"mail-sink: {envelope.mail_from} -> {', '.join(envelope.rcpt_tos)}: "
            f"{subject!r} saved to {path}",
            flush=True,
        )
        return "250 Message accepted"


async def serve(host: str, port: int, folder: Path) -> None:
    handler = SaveToFolder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), host, port)
    print(f"mail-sink: listening on {host}:{port}, saving to {folder}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    with contextlib.suppress(Exception):
        await server.wait_closed()


def main(*_: Any) -> None:
    settings = load_settings()
    asyncio.run(
        serve(settings.smtp_host, settings.smtp_port, settings.cache_dir / "local" / "mail")
    )


if __name__ == "__main__":
    main()
