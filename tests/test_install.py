"""`pip install .` gives an Inkwell that works outside the checkout: templates and static files
(npm's included) travel in the package, the Celery broker transport's dependencies come with it,
and `check --deploy` with https settings reports nothing but the optional HSTS preload.

The package is built and installed non-editable into a fresh venv that borrows the development
venv's dependencies (no download), and everything runs from a directory outside the checkout.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
SKIP = (".venv", ".git", ".inkwell", "build", "*.egg-info", "__pycache__", "staticfiles", ".*_cache")

INSTALLED_CHECKS = r"""
import json, sys
from importlib import metadata
from pathlib import Path

import django
from packaging.requirements import Requirement

import inkwell

def dependency_closure(name):
    seen, todo = set(), [(name, frozenset())]
    while todo:
        dist, extras = todo.pop()
        if (dist.lower(), extras) in seen:
            continue
        seen.add((dist.lower(), extras))
        for line in metadata.requires(dist) or []:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras or {""}):
                todo.append((req.name, frozenset(req.extras)))
    return {dist for dist, _ in seen}

django.setup()
import kombu.transport.redis  # noqa: F401  (the Celery worker's broker transport)
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

print(json.dumps({
    "package": inkwell.__file__,
    "closure": sorted(dependency_closure("inkwell")),
    "page": render_to_string("404.html", {"hostname": "nobody.inkwell.example"}),
    "static": {p: bool(finders.find(p)) for p in ["vendor/htmx/htmx.min.js", "inkwell/app.css"]},
    "media_root": str(settings.MEDIA_ROOT),
    "contract_fonts": [url for url, _, _ in __import__("contracts.pdf").pdf._fonts()],
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with Inkwell installed from a copy of the checkout, and an https environment."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*SKIP))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # A path line in a .pth file adds the directory but not its own .pth files, so the development
    # venv's editable hook for the checkout stays out.
    (Path(site_packages) / "dev-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", str(source)],
        check=True, cwd=tmp,
    )  # fmt: skip
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "inkwell.settings",
        "INKWELL_PUBLIC_URL": "https://inkwell.example",
        "INKWELL_SECRET_KEY": Fernet.generate_key().decode() * 2,
        "INKWELL_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "INKWELL_EMAIL_TRANSPORT": "django.core.mail.backends.smtp.EmailBackend",
        "STRIPE_SECRET_KEY": "sk_test_deploy",
        "STRIPE_WEBHOOK_SECRET": "whsec_deploy",
        "DATABASE_URL": "postgresql://inkwell@db.invalid/inkwell",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "INKWELL_MEDIA_DIR": str(tmp / "media"),
        "INKWELL_STATIC_ROOT": str(tmp / "static"),
        "INKWELL_SEAL_CERT": str(tmp / "seal" / "cert.pem"),
        "INKWELL_SEAL_KEY": str(tmp / "seal" / "key.pem"),
    }
    shutil.rmtree(source)  # nothing may come from the checkout
    return python, tmp, env, site_packages


def run(installed, *args):
    python, tmp, env, _ = installed
    return subprocess.run([python, *args], cwd=tmp, env=env, capture_output=True, text=True, timeout=60)


def test_installed_package_renders_templates_and_finds_static_files(installed):
    result = run(installed, "-c", INSTALLED_CHECKS)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["package"].startswith(installed[3])  # the installed copy, not the checkout
    assert "packaging" in report["closure"]  # kombu's Redis transport needs it (celery[redis])
    assert "There is no business at <strong>nobody.inkwell.example</strong>" in report["page"]
    assert report["static"] == {"vendor/htmx/htmx.min.js": True, "inkwell/app.css": True}
    assert report["media_root"] == str(installed[1] / "media")
    # The contract PDF's typeface comes from the package's own bundled copy of the npm files.
    assert len(report["contract_fonts"]) == 4
    assert all(
        url.startswith(f"file://{installed[3]}/inkwell/npm_assets/") for url in report["contract_fonts"]
    )


def test_installed_check_deploy_reports_only_the_optional_preload(installed):
    result = run(installed, "-m", "django", "check", "--deploy")
    assert result.returncode == 0, result.stderr
    reported = {
        line.split(")")[0].split("(")[-1] for line in result.stderr.splitlines() if line.startswith("?:")
    }
    assert reported == {"security.W021"}, result.stderr


@pytest.mark.parametrize(
    "change, refusal",
    [
        ({"DATABASE_URL": None}, "An installed Inkwell needs DATABASE_URL"),
        ({"INKWELL_SECRET_KEY": None}, "An installed Inkwell needs INKWELL_SECRET_KEY"),
        ({"INKWELL_MEDIA_DIR": None}, "An installed Inkwell needs INKWELL_MEDIA_DIR"),
        ({"INKWELL_STATIC_ROOT": "static"}, "INKWELL_STATIC_ROOT must be absolute"),
        (
            {"INKWELL_SEAL_CERT": None, "INKWELL_SEAL_KEY": None},
            "An installed Inkwell needs INKWELL_SEAL_CERT",
        ),
        ({"INKWELL_SEAL_KEY": "seal/key.pem"}, "INKWELL_SEAL_KEY must be absolute"),
    ],
)
def test_installed_package_refuses_to_default_into_site_packages(installed, change, refusal):
    python, tmp, env, site_packages = installed
    changed = {k: v for k, v in {**env, **change}.items() if v is not None}
    result = subprocess.run(
        [python, "-m", "django", "check"], cwd=tmp, env=changed, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and refusal in result.stderr
    assert not (Path(site_packages) / ".inkwell").exists() and not (Path(site_packages) / "static").exists()
