"""Secrets stay secret: two-factor keys are stored encrypted with keys from the environment (rotatable) and
never shown in the admin, and a registration-number search in the admin is audited like any view of a person."""

import importlib
import json

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from pledge_portal.core.admin_base import AuditedSearchMixin
from tests.factories import RegionFactory, totp_secret, user_with_role


def _stored(authenticator: Authenticator) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


@pytest.fixture
def analyst(db):
    return user_with_role(Role.REGIONAL_ANALYST, RegionFactory().organisation)


def test_two_factor_secrets_are_stored_encrypted(analyst):
    authenticator = Authenticator.objects.get(user=analyst, type=Authenticator.Type.TOTP)
    secret = totp_secret(analyst)
    assert len(secret) >= 16 and secret not in _stored(authenticator)


def test_the_encryption_key_can_be_rotated(analyst, settings):
    secret = totp_secret(analyst)
    old = list(settings.TWO_FACTOR_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode()
    settings.TWO_FACTOR_ENCRYPTION_KEYS = [new, *old]
    assert totp_secret(analyst) == secret  # the old key still opens it
    call_command("rotate_two_factor_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.TWO_FACTOR_ENCRYPTION_KEYS = [new]
    assert totp_secret(analyst) == secret  # now the new key alone does


def test_secrets_stored_in_clear_are_encrypted_by_the_migration(analyst):
    migration = importlib.import_module("pledge_portal.accounts.migrations.0003_encrypt_two_factor_secrets")
    secret = totp_secret(analyst)
    Authenticator.objects.filter(user=analyst, type=Authenticator.Type.TOTP).update(data={"secret": secret})
    migration.encrypt_secrets(apps, None)
    migration.encrypt_secrets(apps, None)  # a second run changes nothing
    authenticator = Authenticator.objects.get(user=analyst, type=Authenticator.Type.TOTP)
    assert secret not in _stored(authenticator) and totp_secret(analyst) == secret


def test_the_admin_never_shows_a_two_factor_secret(analyst, world, client_for):
    authenticator = Authenticator.objects.get(user=analyst, type=Authenticator.Type.TOTP)
    client = client_for(world.platform_admin)
    url = reverse("admin:mfa_authenticator_change", args=[authenticator.pk])
    page = client.get(url).content.decode()
    assert str(analyst) in page
    assert totp_secret(analyst) not in page and authenticator.data["secret"] not in page
    assert client.post(url, {"data": "{}"}).status_code == 403
    assert client.get(reverse("admin:mfa_authenticator_add")).status_code == 403


def test_registration_number_searches_in_the_admin_are_audited(world, client_for):
    client = client_for(world.platform_admin)
    url = reverse("admin:references_referencerequest_changelist")
    assert client.get(url, {"q": "Camden"}).status_code == 200
    assert not AuditEvent.objects.filter(action="admin.registration_number_searched").exists()
    assert client.get(url, {"q": " sw123456 "}).status_code == 200
    event = AuditEvent.objects.get(action="admin.registration_number_searched")
    assert event.actor == world.platform_admin
    assert event.detail == {"model": "references.ReferenceRequest", "search": "sw123456"}


def test_every_admin_search_by_registration_number_is_audited():
    searching = [
        model_admin
        for model_admin in admin.site._registry.values()
        if any("registration_number" in field for field in model_admin.search_fields)
    ]
    assert len(searching) >= 3
    assert all(isinstance(model_admin, AuditedSearchMixin) for model_admin in searching)
