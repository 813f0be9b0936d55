"""Make ``ansible_collections.tickstack.influx`` importable as this checkout (imported for its effect)."""

from __future__ import annotations

import atexit
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def put_collection_on_path():
    try:
        importlib.import_module("ansible_collections.tickstack.influx.plugins.module_utils.http_client")
        return
    except ImportError:
        pass
    root = Path(tempfile.mkdtemp(prefix="tickstack-unit-"))
    atexit.register(shutil.rmtree, root, True)  # removes the symlink, never the checkout
    namespace = root / "ansible_collections" / "tickstack"
    namespace.mkdir(parents=True)
    (namespace / "influx").symlink_to(REPO)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()


put_collection_on_path()
