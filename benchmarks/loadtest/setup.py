"""Fill the load test's throwaway database and collect the static files: run by ``__main__`` in a process of
its own (with the load test's settings and database), so the runner holds no connection to the database."""

import os
import sys
import time
from pathlib import Path


def main(out: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from .world import build

    build(
        out=out,
        leads=int(os.environ["LOAD_LEADS"]),
        readers=int(os.environ["LOAD_READERS"]),
        rows=int(os.environ.get("LOAD_ROWS", "500")),
        years=int(os.environ.get("LOAD_HISTORY_YEARS") or 10),
        scale=float(os.environ.get("LOAD_HISTORY_SCALE") or 1),
        progress=lambda message: print(f"  {message}", flush=True),
    )
    started = time.monotonic()
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"  collected the static files in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
