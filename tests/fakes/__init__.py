"""Fake platform servers that speak the documented wire formats."""
