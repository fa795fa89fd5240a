"""Demo organisations and one user per role, for `make run` and for the browser tests.

Idempotent: running it again leaves one of everything. Everything here is made up; the addresses use
the reserved ``.test`` domain so no email can reach a real person.
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction
from django.utils.text import slugify

from agencies.models import Agency, ManagedServiceProvider
from boroughs.models import Borough, Region
from pledge_portal.accounts.models import Membership, Organisation, User
from pledge_portal.accounts.roles import TWO_FACTOR_ROLES, OrganisationKind, Role
from pledge_portal.audit import services as audit

DEMO_PASSWORD = "pledge-demo-password"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    organisation: str  # slug; empty for the platform admin


def demo_users() -> list[DemoUser]:
    return [
        DemoUser("submitter@camden.pledge.test", "Sam Submitter", Role.BOROUGH_SUBMITTER, "camden"),
        DemoUser("approver@camden.pledge.test", "Alex Approver", Role.BOROUGH_APPROVER, "camden"),
        DemoUser("submitter@hackney.pledge.test", "Hana Submitter", Role.BOROUGH_SUBMITTER, "hackney"),
        DemoUser("approver@hackney.pledge.test", "Harry Approver", Role.BOROUGH_APPROVER, "hackney"),
        DemoUser("user@brightcare.pledge.test", "Bea Agency", Role.AGENCY_USER, "brightcare-social-work-ltd"),
        DemoUser("admin@brightcare.pledge.test", "Ben Agency-Admin", Role.AGENCY_ADMIN, "brightcare-social-work-ltd"),
        DemoUser("user@northside.pledge.test", "Nia Agency", Role.AGENCY_USER, "northside-locums-ltd"),
        DemoUser("msp@southwest-msp.pledge.test", "Mo Provider", Role.MSP_USER, "southwest-workforce-services"),
        DemoUser("analyst@london.pledge.test", "Ana Analyst", Role.REGIONAL_ANALYST, "london-pledge-programme-team"),
        DemoUser(
            "steering@london.pledge.test", "Stella Steering", Role.STEERING_MEMBER, "london-pledge-programme-team"
        ),
        DemoUser("admin@pledge.test", "Pat Platform-Admin", Role.PLATFORM_ADMIN, ""),
    ]


@transaction.atomic
def seed_demo() -> list[DemoUser]:
    """Create the demo agencies, MSP and users (the authorities come from load_authorities first)."""
    if not Region.objects.filter(code="E12000007").exists():
        raise RuntimeError("Load the authorities first: manage.py load_authorities")
    for name, number in (("BrightCare Social Work Ltd", "09876543"), ("Northside Locums Ltd", "12345678")):
        org, _ = Organisation.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "kind": OrganisationKind.AGENCY}
        )
        Agency.objects.get_or_create(organisation=org, defaults={"name": name, "companies_house_number": number})
    msp_name = "Southwest Workforce Services"
    org, _ = Organisation.objects.get_or_create(
        slug=slugify(msp_name), defaults={"name": msp_name, "kind": OrganisationKind.MSP}
    )
    msp, _ = ManagedServiceProvider.objects.get_or_create(organisation=org, defaults={"name": msp_name})
    msp.boroughs.add(*Borough.objects.filter(gss_code__in=["E09000021", "E09000027"]))  # Kingston, Richmond

    users = demo_users()
    for spec in users:
        user = User.objects.filter(email=spec.email).first()
        if user is None:
            user = User.objects.create_user(email=spec.email, password=DEMO_PASSWORD, full_name=spec.name)
            audit.record(None, "demo.user_created", user)
        if spec.role == Role.PLATFORM_ADMIN:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        else:
            Membership.objects.get_or_create(
                user=user, organisation=Organisation.objects.get(slug=spec.organisation), role=spec.role
            )
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        if (
            spec.role in TWO_FACTOR_ROLES
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, generate_totp_secret())
    from rates.demo import seed_demo_rate_cards

    analyst = User.objects.get(email="analyst@london.pledge.test")
    seed_demo_rate_cards(region=Region.objects.get(code="E12000007"), by=analyst)
    from references.demo import seed_demo_references

    seed_demo_references()
    from returns.demo import seed_demo_returns

    seed_demo_returns()
    from dashboards.aggregates import rebuild

    rebuild()  # the demo's accepted returns are written directly: their dashboard figures are built here
    return users


def current_code(email: str) -> str:
    """The TOTP code a demo user's authenticator app would show now."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.get(user__email__iexact=email, type=Authenticator.Type.TOTP)
    secret = decrypt(authenticator.data["secret"])
    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))
