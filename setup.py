"""The wheel carries the specs, fixtures and keys the mock serves, and the README (whose features
table is the MCP server's fact sheets), under mockserver/_data/.

The repository keeps specs/ and fixtures/ at the top, where they are read and edited; an installed
mock finds them inside the package (mockserver/paths.py), with no environment variable.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA = ("specs", "fixtures")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own specs/ and fixtures/
            return
        target = Path(self.build_lib) / "mockserver" / "_data"
        for name in DATA:
            shutil.copytree(
                HERE / name, target / name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
            )
        shutil.copy2(HERE / "README.md", target / "README.md")  # the MCP server's fact sheets


setup(cmdclass={"build_py": BuildWithData})
