from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pledge_portal.core.demo import current_code


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo user (development only)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("Only for the demo: DEBUG is false.")
        try:
            self.stdout.write(current_code(email))
        except Authenticator.DoesNotExist as exc:
            raise CommandError(f"{email} has no authenticator app set up.") from exc
