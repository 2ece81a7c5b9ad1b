"""The HTTP API moved to `symbi_runtime.api` (FastAPI); this module keeps the old import path."""

from symbi_runtime.api import API_PREFIX, ApiServer, create_app, serve_api
from symbi_runtime.api.views import job_body, run_body

__all__ = ["API_PREFIX", "ApiServer", "create_app", "job_body", "run_body", "serve_api"]
