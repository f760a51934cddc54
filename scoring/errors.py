"""Errors raised by the scoring package."""


class ScoringError(Exception):
    """Base for scoring failures (bad rules, bad outcome data)."""
