"""Run the registry REST service (:mod:`sqlingest.registry.service`) with uvicorn.

Tokens come from a YAML file mapping each token to the domains it may publish to (``"*"`` = every domain), named
by the domain or by one of its owners (a domain's ``owners:`` in the served project's ``domains/``)::

    9f2c…e1: [retail]
    77ab…0c: [retail, finance]
    5d1a…b2: [sales-data@example.com]     # publishes to the domain(s) this team owns
    admin-token-…: ["*"]

Tokens are registered as secrets, so they never appear in messages; uvicorn's access log holds no headers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlingest.errors import ConfigError, MissingDependency, register_secret
from sqlingest.registry.store import RegistryStore

if TYPE_CHECKING:
    from sqlingest.project.domains import Domains

__all__ = ["load_tokens", "open_store", "project_domains", "serve"]

_log = logging.getLogger(__name__)


def load_tokens(path: Path | str) -> dict[str, list[str]]:
    """Read a tokens file ``{token: [domain, ...]}``.

    Args:
        path: The YAML file.

    Returns:
        Token → domains (``"*"`` = every domain).

    Raises:
        ConfigError: The file is missing, not YAML, or not a mapping of non-empty strings to lists of domains.
    """
    import yaml

    from sqlingest.project.files import read_text

    path = Path(path)
    try:
        data = yaml.safe_load(read_text(path, error=ConfigError, secret=True))
    except yaml.YAMLError:
        raise ConfigError(f"tokens file {path} is not valid YAML") from None  # never echo its content
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"tokens file {path} must be a non-empty mapping of token to a list of domains",
                          hint="e.g.  s3cr3t-token: [retail]")
    tokens: dict[str, list[str]] = {}
    for index, (token, domains) in enumerate(data.items(), 1):
        if not isinstance(token, str) or len(token) < 8:
            raise ConfigError(f"tokens file {path}: token #{index} must be a string of at least 8 characters")
        register_secret(token)
        if isinstance(domains, str):
            domains = [domains]
        if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
            raise ConfigError(f"tokens file {path}: the domains of token #{index} must be a list of names or '*'")
        tokens[token] = list(domains)
    return tokens


def project_domains(project_dir: Path | str) -> Domains | None:
    """The declared domains of the project in ``project_dir`` (their names and owners own its subjects), or None
    when it is not a project.

    Raises:
        UserError: the project's domain files are malformed (located).
    """
    from sqlingest.project import load_project

    if not (Path(project_dir) / "sqlingest.yml").is_file():
        return None
    return load_project(Path(project_dir)).domains


def open_store(dsn: str | None, project_dir: Path | str = ".") -> RegistryStore:
    """A PostgreSQL store for a DSN, else the file store of the project in ``project_dir``.

    Raises:
        MissingDependency: psycopg2 is missing (for a DSN).
        TransientError: The database cannot be reached.
    """
    if dsn:
        from sqlingest.registry.pg_store import PostgresStore

        return PostgresStore(dsn)
    from sqlingest.registry.file_store import FileStore

    return FileStore(project_dir)


def serve(dsn: str | None, host: str, port: int, tokens_file: Path | str, *, project_dir: Path | str = ".") -> None:
    """Serve the registry until interrupted.

    Args:
        dsn: PostgreSQL DSN of the shared registry; ``None`` serves the project's file store.
        host: Interface to listen on.
        port: TCP port.
        tokens_file: YAML file ``{token: [domains]}``.
        project_dir: Project whose file store is served when ``dsn`` is ``None``.

    Raises:
        ConfigError: The tokens file is invalid.
        MissingDependency: FastAPI, uvicorn or psycopg2 is missing.
        TransientError: The database cannot be reached.
    """
    tokens = load_tokens(tokens_file)
    try:
        import uvicorn

        from sqlingest.registry.service import create_app
    except ImportError as exc:
        raise MissingDependency(f"the registry service needs {exc.name}",
                                hint="pip install 'sqlingest[registry]'") from None
    store = open_store(dsn, project_dir)
    domains = project_domains(project_dir)
    _log.info("serving %s registry for %d token(s) on http://%s:%d", type(store).__name__, len(tokens), host, port)
    config: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "proxy_headers": False}
    uvicorn.run(create_app(store, tokens, domains=domains), **config)
