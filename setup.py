"""Packages are found, not listed: every package under trustscan/, plus the top-level rules/ and
reports/ folders shipped inside the installed package as trustscan.rules and trustscan.reports
(their package-dir and data files are declared in pyproject.toml)."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["trustscan", "trustscan.*"]), "trustscan.rules", "trustscan.reports"])
