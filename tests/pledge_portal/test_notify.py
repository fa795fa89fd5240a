"""Email through GOV.UK Notify: chosen by the environment, every portal email goes through the Notify template.

Notify is a service on the internet, which the tests cannot reach: its client's one sending call is replaced
by a recorder, and everything up to it (the backend, the message, the portal's own email code) is real.
"""

import subprocess
import sys

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection

TEMPLATE = "5a6f0d51-7a3a-4b8e-9a55-1f2d3c4b5a69"


def test_notify_backend_sends_each_recipient_the_subject_and_plain_text(settings, monkeypatch):
    from notifications_python_client.notifications import NotificationsAPIClient

    sent = []
    monkeypatch.setattr(NotificationsAPIClient, "send_email_notification", lambda self, **kw: sent.append(kw))
    settings.GOVUK_NOTIFY_API_KEY = "test-" + "0" * 36 + "-" + "1" * 36
    settings.GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID = TEMPLATE
    message = EmailMultiAlternatives("Your return was sent back", "Change row 1.", to=["a@x.test", "b@x.test"])
    message.attach_alternative("<p>Change row 1.</p>", "text/html")
    backend = get_connection("django_gov_notify.backends.NotifyEmailBackend")
    assert backend.send_messages([message]) == 1
    assert [s["email_address"] for s in sent] == ["a@x.test", "b@x.test"]
    assert sent[0]["template_id"] == TEMPLATE
    assert sent[0]["personalisation"] == {"subject": "Your return was sent back", "body": "Change row 1."}


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({"EMAIL_BACKEND": "notify"}, True),
        (
            {"EMAIL_BACKEND": "notify", "GOVUK_NOTIFY_API_KEY": "k", "GOVUK_NOTIFY_PLAIN_EMAIL_TEMPLATE_ID": TEMPLATE},
            False,
        ),
    ],
)
def test_notify_is_chosen_by_the_environment_and_refuses_to_start_half_configured(env, refused):
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "pledge_portal.settings", "DEBUG": "true", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if refused:
        assert result.returncode != 0 and "GOVUK_NOTIFY_API_KEY" in result.stderr
    else:
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == "django_gov_notify.backends.NotifyEmailBackend"
