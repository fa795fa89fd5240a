"""Roles, the kinds of organisation they belong to, and the rules that follow from a role.

A role is always held in an organisation (a membership), except platform admin, which is the
Django superuser flag. What a role allows is declared in each app's ``permissions.py`` and answered by
the one access policy (``pledge_portal.access``); nothing else in the code compares role strings, except the
sign-in rule below (which roles must use two-factor).
"""

from django.db import models


class Role(models.TextChoices):
    BOROUGH_SUBMITTER = "borough_submitter", "Borough workforce lead"
    BOROUGH_APPROVER = "borough_approver", "Borough approver"
    AGENCY_USER = "agency_user", "Agency user"
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    MSP_USER = "msp_user", "Managed service provider user"
    REGIONAL_ANALYST = "regional_analyst", "Regional analyst"
    STEERING_MEMBER = "steering_member", "Steering group member"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"


class OrganisationKind(models.TextChoices):
    BOROUGH = "borough", "Borough"
    AGENCY = "agency", "Agency"
    MSP = "msp", "Managed service provider"
    REGIONAL_TEAM = "regional_team", "Regional programme team"


ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrganisationKind.BOROUGH: (Role.BOROUGH_SUBMITTER, Role.BOROUGH_APPROVER),
    OrganisationKind.AGENCY: (Role.AGENCY_USER, Role.AGENCY_ADMIN),
    OrganisationKind.MSP: (Role.MSP_USER,),
    OrganisationKind.REGIONAL_TEAM: (Role.REGIONAL_ANALYST, Role.STEERING_MEMBER),
}

# The role that administers an organisation's own users (invites and removes them). An MSP's users are
# managed by platform admins: MSPs act for boroughs under contract, so who joins one is the region's call.
ADMIN_ROLE_BY_KIND: dict[str, str] = {
    OrganisationKind.BOROUGH: Role.BOROUGH_APPROVER,
    OrganisationKind.AGENCY: Role.AGENCY_ADMIN,
    OrganisationKind.REGIONAL_TEAM: Role.REGIONAL_ANALYST,
}

MEMBERSHIP_ROLES = frozenset(r for roles in ROLES_BY_KIND.values() for r in roles)

# Roles that sign off money and data, or see everything: they must use TOTP two-factor sign-in.
TWO_FACTOR_ROLES = frozenset({Role.BOROUGH_APPROVER, Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN})

ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.BOROUGH_SUBMITTER: "Fills in and submits your borough's quarterly return and answers reference requests.",
    Role.BOROUGH_APPROVER: (
        "Signs off your borough's return and any pay above the cap, and manages your borough's users."
    ),
    Role.AGENCY_USER: "Checks capped rates, requests and uploads references, and follows your agency's compliance.",
    Role.AGENCY_ADMIN: "Everything an agency user does, and manages your agency's users.",
    Role.MSP_USER: "Uploads assignment data for the boroughs your organisation serves.",
    Role.REGIONAL_ANALYST: "Publishes rate cards, runs reporting periods, reviews returns and builds compliance packs.",
    Role.STEERING_MEMBER: "Reads the regional dashboards and downloads compliance packs.",
    Role.PLATFORM_ADMIN: "Manages organisations and users for the whole portal.",
}
