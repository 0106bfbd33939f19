"""The library in a throwaway SQLite database, for benchmarks: `load()` sets Django up."""

import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load() -> None:
    """Point Django at a new SQLite file, migrate it and import fixtures/ (DEBUG off)."""
    sys.path.insert(0, str(ROOT))
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipflows.settings")
    os.environ["DEBUG"] = "0"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("import_flows", str(ROOT / "fixtures"), stdout=io.StringIO())
