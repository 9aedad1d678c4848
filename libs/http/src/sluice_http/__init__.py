"""HTTP pieces shared by Sluice's FastAPI services (API and ingest)."""

from sluice_http.json_body import is_json_media, refuse_non_finite_numbers

__all__ = ["is_json_media", "refuse_non_finite_numbers"]
