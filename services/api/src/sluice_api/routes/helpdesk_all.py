"""Every help-desk router (SPEC 13 "Help-desk resources"), registered by the app factory."""

from __future__ import annotations

from fastapi import APIRouter

from sluice_api.routes import (
    helpdesk_directory,
    helpdesk_outbound,
    helpdesk_providers,
    helpdesk_tickets,
)

HELPDESK_ROUTERS: tuple[APIRouter, ...] = (
    helpdesk_directory.router,
    helpdesk_providers.router,
    helpdesk_tickets.router,
    helpdesk_outbound.router,
)
