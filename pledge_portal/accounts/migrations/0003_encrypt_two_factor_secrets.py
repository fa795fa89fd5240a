"""Two-factor secrets were stored in clear by allauth.mfa; from now on its adapter encrypts them
(pledge_portal/accounts/crypto.py). This encrypts the ones already there, once; reversing decrypts them."""

from django.db import migrations


def _each_authenticator(apps, change) -> None:
    from pledge_portal.accounts import crypto

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.all().iterator():
        data = crypto.transform_two_factor_data(authenticator.data, change)
        if data != authenticator.data:
            Authenticator.objects.filter(pk=authenticator.pk).update(data=data)


def encrypt_secrets(apps, schema_editor):
    from pledge_portal.accounts import crypto

    _each_authenticator(apps, lambda value: value if crypto.is_encrypted(value) else crypto.encrypt(value))


def decrypt_secrets(apps, schema_editor):
    from pledge_portal.accounts import crypto

    _each_authenticator(apps, lambda value: crypto.decrypt(value) if crypto.is_encrypted(value) else value)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
