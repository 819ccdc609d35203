"""Helpers shared by the API tests that upload documents (pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def counts(client: TestClient) -> tuple[int, int, str]:
    """(documents, chunks, index version) of the live index, from /healthz."""
    h = client.get("/healthz").json()
    return h["documents"], h["chunks"], h["index_version"]


def upload(client: TestClient, name: str, data: bytes, mime: str = "application/octet-stream", wait: bool = True) -> Any:
    """Upload one file; with ``wait`` the call returns when its indexing job has finished (201 or the error)."""
    params = {"wait": "true"} if wait else {}
    return client.post("/v1/documents", params=params, files={"file": (name, data, mime)})
