"""The behaviour every :class:`~sqlingest.secrets.SecretProvider` owes a project, as a reusable pytest suite.

A provider — built-in or a plugin registered under the ``sqlingest.secrets`` entry point group — passes it by
saying how to store a secret where it looks (:class:`SecretProviderUnderTest`) and subclassing
:class:`SecretProviderBehaviour` with one fixture::

    from sqlingest.testing.secrets import SecretProviderBehaviour, SecretProviderUnderTest

    class MyVault(SecretProviderUnderTest):
        type = "my_vault"                            # the name the plugin registry knows it by
        def options(self): return {"url": self.server_url}
        def put(self, name, value): ...              # store the secret where the provider reads it

    class TestMyVault(SecretProviderBehaviour):
        @pytest.fixture
        def case(self, tmp_path, monkeypatch): return MyVault(tmp_path, monkeypatch)

The suite asserts that the provider loads through the plugin registry by its name; returns a stored secret exactly
(spaces, quotes, unicode, a long value); returns None — never raises, never ``""`` — for a name it does not have,
so the next provider of the chain is asked; and that a value it returns through a project's chain is redacted
from everything sqlingest prints afterwards.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import pytest

from sqlingest.errors import ConfigError, redact
from sqlingest.secrets import PROVIDERS, SecretProvider, Secrets

#: values every provider must return exactly
VALUES: tuple[str, ...] = ("s3cr3t-Value", "with spaces and 'quotes' \"too\"", "ünïcødé-✓-пароль", "x" * 2048)


class SecretProviderUnderTest(ABC):
    """One secret provider and where its secrets go. ``root`` is the project folder."""

    #: the provider's name in the ``secrets`` plugin registry
    type: ClassVar[str]

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch

    def options(self) -> dict[str, Any]:
        """The provider's options (as under ``secrets:`` in sqlingest.yml, without ``type``)."""
        return {}

    @abstractmethod
    def put(self, name: str, value: str) -> None:
        """Store ``value`` as the secret ``name`` where the provider reads it."""

    def provider(self) -> SecretProvider:
        return PROVIDERS.load(self.type)(self.root, **self.options())


class SecretProviderBehaviour:
    """Subclass with a ``case`` fixture returning a :class:`SecretProviderUnderTest`."""

    @pytest.fixture
    def case(self) -> SecretProviderUnderTest:  # pragma: no cover - overridden
        raise NotImplementedError("override the case fixture")

    def test_loads_through_the_registry(self, case: SecretProviderUnderTest) -> None:
        provider = case.provider()
        assert isinstance(provider, SecretProvider)
        assert type(provider) is PROVIDERS.load(case.type)

    @pytest.mark.parametrize("value", VALUES, ids=["plain", "quotes", "unicode", "long"])
    def test_returns_a_stored_secret_exactly(self, case: SecretProviderUnderTest, value: str) -> None:
        case.put("conformance_secret", value)
        assert case.provider().get("conformance_secret") == value

    def test_unknown_name_is_none(self, case: SecretProviderUnderTest) -> None:
        case.put("conformance_known", "known-value")
        assert case.provider().get("conformance_not_stored") is None

    def test_chain_falls_through_and_redacts(self, case: SecretProviderUnderTest) -> None:
        value = "conformance-redact-me-42"
        case.put("conformance_chain", value)
        chain = Secrets([case.provider()])
        assert chain.get("conformance_chain") == value
        assert value not in redact(f"connecting with password={value}")
        with pytest.raises(ConfigError, match="secret 'conformance_absent' is not set"):
            chain.get("conformance_absent")
