"""Everything else is in pyproject.toml. This only bundles the npm front-end libraries into the
package when building it (`pip install .`), so an installed Inkwell serves them without a checkout."""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithNpmAssets(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install serves them from node_modules/ in place
            return
        npm_assets = runpy.run_path(str(ROOT / "inkwell" / "assets.py"))["NPM_ASSETS"]
        for source in npm_assets.values():
            origin = ROOT / "node_modules" / source
            if not origin.is_dir():
                raise SystemExit(f"{origin} is missing: run `npm ci` before building or installing Inkwell.")
            shutil.copytree(
                origin, Path(self.build_lib) / "inkwell" / "npm_assets" / source, dirs_exist_ok=True
            )


setup(cmdclass={"build_py": BuildPyWithNpmAssets})
