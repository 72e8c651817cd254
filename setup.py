"""Ship the top-level `rules/` catalogue inside the package as `shadowscan.catalogue`.

pyproject.toml holds every other setting; only a package mapped from a folder
outside `shadowscan/` needs this file (setuptools' package discovery cannot
express it).
"""

from setuptools import find_packages, setup

#: `rules/` and its `services/` folder, as packages of data
DATA = ["shadowscan.catalogue", "shadowscan.catalogue.services"]

setup(
    packages=[*find_packages(include=["shadowscan*"]), *DATA],
    package_dir={"shadowscan.catalogue": "rules"},
    package_data={name: ["*.toml", "*.md"] for name in DATA},
)
