"""Sluice settings: one model, ``WF_*`` environment variables."""

from sluice_config.settings import Settings, load_settings, repository_root

__all__ = ["Settings", "load_settings", "repository_root"]
