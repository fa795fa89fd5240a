from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pledge_portal.core.demo import seed_demo


class Command(BaseCommand):
    help = "Create demo agencies, an MSP and one user per role (idempotent). Refused in production mode."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even when DEBUG is false.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo users have a published password: they are not created when DEBUG is false.")
        try:
            users = seed_demo()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo data ready: {len(users)} demo users.")
