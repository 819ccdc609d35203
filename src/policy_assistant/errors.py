"""Domain errors; each edge (CLI, API, WeCom) translates them once. ``status`` is the HTTP meaning."""

from __future__ import annotations


class PolicyAssistantError(Exception):
    """Base class. ``message_zh`` is shown to officials, ``message`` (English) to developers."""

    status = 500

    def __init__(self, message: str, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message

    def __str__(self) -> str:
        return self.message if self.message_zh == self.message else f"{self.message_zh} / {self.message}"


class BadInput(PolicyAssistantError):
    """The request itself is malformed (400)."""

    status = 400


class Unauthorized(PolicyAssistantError):
    """Missing or wrong credentials (401)."""

    status = 401


class Forbidden(PolicyAssistantError):
    """Known caller, not allowed: removing a document without the admin key (403)."""

    status = 403


class NotFound(PolicyAssistantError):
    """The named document or resource does not exist (404)."""

    status = 404


class FileTooLarge(PolicyAssistantError):
    """A file exceeds the configured size limit (413)."""

    status = 413


class LimitExceeded(FileTooLarge):
    """A file expands past a cap: XML inside a zip, characters, pages, chunks or records (413)."""


class Conflict(PolicyAssistantError):
    """The request clashes with the current state, e.g. replacing a core document (409)."""

    status = 409


class UnsupportedFileType(PolicyAssistantError):
    """A file type we cannot read (415)."""

    status = 415


class DocumentError(PolicyAssistantError):
    """A file of a known type that cannot be read: corrupt, encrypted, empty, no text (422)."""

    status = 422


class MissingDependency(PolicyAssistantError):
    """An optional tool or extra is not installed; the message says how to install it (501)."""

    status = 501


class IndexNotReady(PolicyAssistantError):
    """No index has been built yet (503)."""

    status = 503


class ConfigError(PolicyAssistantError):
    """Settings are inconsistent or point to something missing (500)."""

    status = 500
