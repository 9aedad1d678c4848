"""The local mail sink of ``sluice dev`` keeps every message as an .eml file."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from aiosmtpd.smtp import SMTP
from sluice_devstack.mail_sink import SaveToFolder
from sluice_devstack.ports import free_port


async def test_mail_sink_saves_each_message_as_numbered_eml(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    port = free_port()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(SaveToFolder(folder)), "127.0.0.1", port)
    try:
        for number in (1, 2):
            message = EmailMessage()
            message["From"] = "support@demo.sluice.local"
            message["To"] = "customer@example.com"
            message["Subject"] = f"[TIC-00000{number}] Re: hello"
            message.set_content("Reference: [SLU-ABC]")
            await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    finally:
        server.close()
        await server.wait_closed()
    saved = sorted(folder.glob("*.eml"))
    assert [path.name for path in saved] == ["000001.eml", "000002.eml"]
    assert b"Subject: [TIC-000002] Re: hello" in saved[1].read_bytes()
