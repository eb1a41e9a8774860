"""Intervention requests: file, read, list with filters, history, comments, attachments, transitions,
duplicate candidates, and the urgency alerts. Every write calls the procedures' or the engine's actions."""

from .alerts import AlertViewSet  # noqa: F401
from .viewset import RequestViewSet  # noqa: F401
