"""Front-end libraries that npm installs (package.json) and Django serves as static files.

In a checkout they are served straight from `node_modules/`. `pip install .` copies the same
directories into the package (see setup.py), so an installed Inkwell needs neither the checkout
nor npm. This module imports nothing from Django: setup.py reads it before anything is installed.
"""

from pathlib import Path

# static URL prefix -> directory under node_modules/
NPM_ASSETS = {
    "vendor/htmx": "htmx.org/dist",
    "vendor/chartjs": "chart.js/dist",  # the dashboard's charts
    "vendor/signature_pad": "signature_pad/dist",  # the customer's drawn signature
    "vendor/inter": "@fontsource/inter/files",  # the contract PDF's typeface (WeasyPrint loads it by @font-face)
}
# Where setup.py puts them inside the installed package (the same layout as node_modules/).
BUNDLED_DIR = Path(__file__).resolve().parent / "npm_assets"


def staticfiles_dirs(checkout: Path) -> list[tuple[str, Path]]:
    """STATICFILES_DIRS entries: node_modules/ when the checkout has it, else the bundled copy."""
    node_modules = checkout / "node_modules"
    root = node_modules if node_modules.is_dir() else BUNDLED_DIR
    return [(prefix, root / source) for prefix, source in NPM_ASSETS.items()]
