"""The built wheel works when installed away from the repository.

The wheel is built without network (`--no-build-isolation`, setuptools from
the test extra) from a copy of only what a source distribution holds, then
installed into a fresh virtualenv in a temporary folder. Its dependencies come
from the test environment's site-packages through a `.pth` line, which adds
that folder to `sys.path` without running its editable-install hooks, so the
package imported is the wheel's and nothing can reach the checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORG = ROOT / "fixtures" / "org"
SOURCES = ("pyproject.toml", "setup.py", "README.md", "shadowscan", "rules")


def _run(*args, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; returns its bin folder."""
    work = tmp_path_factory.mktemp("install")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, src / name)
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "-w", work / "dist", src, cwd=work,
    )  # fmt: skip
    wheel = next((work / "dist").glob("shadowscan-*.whl"))
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=work)
    pip = (venv / "bin" / "python", "-m", "pip")
    _run(*pip, "install", "--no-deps", "--no-index", wheel, cwd=work)
    site = next(venv.glob("lib/python*/site-packages"))
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def test_the_installed_package_is_the_wheel_with_its_catalogue(installed, tmp_path):
    code = (
        "import shadowscan, json; from shadowscan.match.catalogue import default_rules_dir, "
        "load_catalogue; print(json.dumps([shadowscan.__file__, str(default_rules_dir()), "
        "len(load_catalogue().services)]))"
    )
    module, rules, services = json.loads(
        _run(installed / "python", "-c", code, cwd=tmp_path).stdout
    )
    assert ROOT not in Path(module).parents and ROOT not in Path(rules).parents
    assert services == len(list((ROOT / "rules" / "services").glob("*.toml")))


def test_the_installed_command_ingests_and_reports(installed, tmp_path):
    store = tmp_path / "store"
    exe = installed / "shadowscan"
    _run(exe, "ingest", "-q", "--store", store, ORG / "logs", cwd=tmp_path)
    done = _run(
        exe, "report", "--store", store, "--config", ORG / "shadowscan.toml",
        "--since", "2026-11-02", "--until", "2026-11-29T23:59:59Z", "--format", "json",
        cwd=tmp_path,
    )  # fmt: skip
    expected = json.loads((ORG / "expected.json").read_text())
    assert json.loads(done.stdout)["headline"]["ai_users"] == expected["headline"]["ai_users"]
    assert "no problems" in _run(exe, "rules", "check", cwd=tmp_path).stdout
