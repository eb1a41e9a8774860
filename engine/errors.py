"""Errors raised by the engine's actions; the API maps them to HTTP statuses (see docs/engine-api.md)."""

from django.utils.translation import gettext_lazy as _


class EngineError(Exception):
    """Base class: a refused action. ``str(error)`` is a message for the person who tried."""

    def __init__(self, message=""):
        super().__init__(str(message))
        self.message = message

    def __str__(self):
        return str(self.message)


class RoleNotAllowed(EngineError):
    """403: the actor holds none of the roles allowed to do this."""

    def __init__(self, allowed_roles, message=None):
        self.allowed_roles = list(allowed_roles)
        super().__init__(
            message
            or _("Only these roles may do this: %(roles)s.") % {"roles": ", ".join(self.allowed_roles)}
        )


class GuardFailed(EngineError):
    """400: a guard of the transition is not satisfied; ``field`` names the field at fault, if any."""

    def __init__(self, field, message):
        self.field = field
        super().__init__(message)


class InvalidTransition(EngineError):
    """400: unknown transition code, or not possible from the case's current state."""


class ConcurrentChange(EngineError):
    """409: the case (or alert) changed since it was read; reload it and try again."""

    def __init__(self, message=None):
        super().__init__(
            message or _("This case was changed by someone else meanwhile; reload it and retry.")
        )


class InvalidFields(EngineError):
    """400: ``errors`` maps each field at fault to a message."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


class ImmutableVersion(EngineError):
    """A published or retired procedure version cannot be edited."""


class DefinitionInvalid(EngineError):
    """A procedure definition was refused; ``problems`` lists one message per problem."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
