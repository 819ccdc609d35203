"""Request-scoped access to what the app holds: the service, the settings and the document write lock."""

from __future__ import annotations

import threading

from fastapi import Request

from ..config import Settings
from ..service import PolicyService
from .jobs import JobRunner


def get_service(request: Request) -> PolicyService:
    """The app's one ``PolicyService``."""
    service: PolicyService = request.app.state.service
    return service


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_write_lock(request: Request) -> threading.Lock:
    """Held while a document is added or deleted (the page takes the same lock)."""
    lock: threading.Lock = request.app.state.write_lock
    return lock


def get_jobs(request: Request) -> JobRunner:
    """The app's upload-job runner."""
    jobs: JobRunner = request.app.state.jobs
    return jobs
