"""The analytics connectors by name (see base.py for the interface they share)."""

from marketing.connectors.base import Connector

CONNECTORS = {
    "gsc": "marketing.connectors.gsc.SearchConsoleConnector",
    "ga4": "marketing.connectors.ga4.AnalyticsConnector",
    "ads": "marketing.connectors.ads.AdsConnector",
    "demo": "marketing.connectors.demo.DemoConnector",
}


def connector_for(name: str) -> Connector:
    """A new connector instance by name; KeyError for an unknown name. Classes named by a dotted path
    are imported on first use, so a process that never fetches never loads the Google libraries."""
    from django.utils.module_loading import import_string

    target = CONNECTORS[name]
    return (import_string(target) if isinstance(target, str) else target)()
