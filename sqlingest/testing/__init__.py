"""Test helpers for sqlingest and its plugins (need pytest, a dev dependency): the behaviour suites the built-ins
pass, for plugin authors to run over their own implementation — :mod:`sqlingest.testing.sources` (sources) and
:mod:`sqlingest.testing.secrets` (secret providers) — and :mod:`sqlingest.testing.pytest_plugin`, the pytest plugin
that runs a project's model unit tests (``docs/testing.md``)."""
