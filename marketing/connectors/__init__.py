"""Analytics connectors by name (see base.py for the interface). The Google connectors register here
beside `demo` as they arrive."""

from __future__ import annotations

from marketing.connectors.base import Connector
from marketing.connectors.demo import DemoConnector

CONNECTORS: dict[str, type] = {"demo": DemoConnector}


def connector_for(name: str) -> Connector:
    """A connector instance by name. Raises KeyError for a name no connector has."""
    return CONNECTORS[name]()
