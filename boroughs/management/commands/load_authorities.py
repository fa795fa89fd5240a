from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from boroughs.services import load_london_authorities


class Command(BaseCommand):
    help = "Load (or refresh) London's 33 authorities, sub-regions and programme team from the shared CSV."

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, default=settings.AUTHORITIES_CSV)

    def handle(self, *args, csv, **options):
        if not csv.exists():
            raise CommandError(f"No file at {csv}. Pass --csv or set AUTHORITIES_CSV.")
        try:
            result = load_london_authorities(csv_path=csv)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{result['boroughs']} authorities, {result['created']} new.")
        from returns.services import ensure_reporting_units

        if units := ensure_reporting_units():
            self.stdout.write(f"{units} reporting units made (one per authority without one).")
