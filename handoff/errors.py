"""Errors of the handoff package."""


class HandoffError(Exception):
    """Base for handoff failures."""


class DeliveryFailed(HandoffError):
    """A notification could not be delivered and will not be retried."""
