"""Re-encrypt every two-factor secret with the first of TWO_FACTOR_ENCRYPTION_KEYS (see accounts/crypto.py)."""

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from pledge_portal.accounts import crypto


class Command(BaseCommand):
    help = "Re-encrypt two-factor secrets with the newest key, so that older keys can be dropped."

    @transaction.atomic
    def handle(self, *args, **options):
        count = 0
        for authenticator in Authenticator.objects.select_for_update().iterator():
            data = crypto.transform_two_factor_data(authenticator.data, crypto.reencrypt)
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
            count += 1
        self.stdout.write(f"Re-encrypted the secrets of {count} authenticators with the newest key.")
