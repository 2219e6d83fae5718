"""Test helpers for sqlingest and its plugins (need pytest, a dev dependency): :mod:`sqlingest.testing.sources`
is the behaviour suite every source passes."""
