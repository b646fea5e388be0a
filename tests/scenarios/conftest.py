"""The CLI fixtures of the orders tests (a fresh SQLite file, the network loaded)."""

from tests.orders.test_cli import cli, cli_engines, ready  # noqa: F401
