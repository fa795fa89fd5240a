"""Factories for the tests: organisations of each kind, and users holding a role in one."""

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from agencies.models import Agency, ManagedServiceProvider
from boroughs.models import Borough, Region, SubRegion
from pledge_portal.accounts.models import Membership, Organisation, User
from pledge_portal.accounts.roles import TWO_FACTOR_ROLES, OrganisationKind, Role

PASSWORD = "correct-horse-battery-staple"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.AGENCY
    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E1200{n:04d}")
    name = factory.Sequence(lambda n: f"Region {n}")
    organisation = factory.SubFactory(
        OrganisationFactory, kind=OrganisationKind.REGIONAL_TEAM, name=factory.LazyAttribute(lambda o: "Team")
    )


class SubRegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubRegion

    region = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"Sub-region {n}")


class BoroughFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borough

    name = factory.Sequence(lambda n: f"Borough {n}")
    short_name = factory.LazyAttribute(lambda o: o.name)
    organisation = factory.SubFactory(
        OrganisationFactory, kind=OrganisationKind.BOROUGH, name=factory.SelfAttribute("..name")
    )
    region = factory.SubFactory(RegionFactory)
    sub_region = factory.SubFactory(SubRegionFactory, region=factory.SelfAttribute("..region"))
    gss_code = factory.Sequence(lambda n: f"E0990{n:04d}")
    dfe_code = factory.Sequence(lambda n: f"{(n % 900) + 100}")
    pledge_signatory = True


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Agency {n} Ltd")
    organisation = factory.SubFactory(
        OrganisationFactory, kind=OrganisationKind.AGENCY, name=factory.SelfAttribute("..name")
    )


class MSPFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManagedServiceProvider

    name = factory.Sequence(lambda n: f"MSP {n}")
    organisation = factory.SubFactory(
        OrganisationFactory, kind=OrganisationKind.MSP, name=factory.SelfAttribute("..name")
    )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


def user_with_role(role: str, organisation: Organisation | None = None, *, totp: bool = True, **fields) -> User:
    """A user holding ``role`` in ``organisation`` (platform admin needs none). Roles that require two-factor
    get a TOTP authenticator unless ``totp=False``, so tests reach pages rather than the set-up screen."""
    user = UserFactory(**fields)
    if role == Role.PLATFORM_ADMIN:
        user.is_staff = user.is_superuser = True
        user.save()
    else:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    if totp and role in TWO_FACTOR_ROLES:
        TOTP.activate(user, generate_totp_secret())
    return user


def totp_secret(user: User) -> str:
    from allauth.mfa.utils import decrypt

    return decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])
