"""Every URL of the portal, as every role and as an anonymous visitor, with its own tenant's ids and another's.

The table below says, for each URL, the access action its view declares and who may use it. The test
enumerates the URL conf, so a new URL that is not in the table fails ``test_every_url_is_in_the_table``
until someone states its action and who may use it: tenancy rules grow with the portal automatically. For
each URL and role it checks:

* the view declares the table's action (``test_each_view_declares_its_action``);
* the status: allowed roles get ``ok``; other signed-in users 403; anonymous visitors are sent to sign in;
* another tenant's ids answer 404 (only platform admins see across tenants), for GET and for POST;
* people who hold different roles in two organisations of a kind (two boroughs, two regions, an agency and
  an MSP) get on the first organisation's objects only what their role *there* allows: a role held in the
  other organisation may open the page's door but finds nothing (404);
* no page shown to a tenant's user contains another tenant's private data (their people's emails).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dfe.models import DfeExtract
from packs.models import CompliancePack
from pledge_portal.access.roles import AGENCY as AGENCY_ROLES
from pledge_portal.access.roles import BOROUGH as BOROUGH_ROLES
from pledge_portal.access.roles import REGIONAL as REGIONAL_ROLES
from pledge_portal.accounts import services as account_services
from pledge_portal.accounts.models import Membership
from pledge_portal.accounts.roles import ADMIN_ROLE_BY_KIND, TWO_FACTOR_ROLES, Role
from pledge_portal.audit import services as audit
from pledge_portal.jobs.models import TaskRun
from rates import services as rate_services
from rates.models import LocalRole, RoleCategory
from references import services as reference_services
from returns import services as returns_services
from returns.models import ReportingUnit

from .conftest import FAST_HASHERS, Side, World, make_world
from .factories import user_with_role
from .rates.helpers import publish_card
from .references.helpers import completed_reference
from .returns.helpers import add_row, draft_return, good_row
from .returns.helpers import open_period as open_return_period

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user
LOGIN = "login"  # anonymous visitors are redirected to the sign-in page
ANONYMOUS = "anonymous"
ALL_ROLES = [*Role.values, ANONYMOUS]


@dataclass(frozen=True)
class Access:
    action: str | None  # the access action the view declares (None: allauth's and the admin's own pages)
    roles: object  # PUBLIC, SIGNED_IN or a set of roles
    ok: int = 200  # what an allowed user gets
    anon: int | str | None = None  # what an anonymous visitor gets: by default ``ok`` if public, else sign in
    kwargs: Callable[[Side, str], dict] | None = None  # URL arguments naming the role's own objects
    methods: tuple[str, ...] = ("get",)
    per_role_ok: dict | None = None  # where one allowed role legitimately gets another status
    tenant_scoped: bool = True  # with kwargs: another tenant's ids must answer 404

    def expected(self, role: str) -> int | str:
        if role == ANONYMOUS:
            if self.anon is not None:
                return self.anon
            return self.ok if self.roles == PUBLIC else LOGIN
        if self.roles in (PUBLIC, SIGNED_IN) or role in self.roles:
            return (self.per_role_ok or {}).get(role, self.ok)
        return 403

    def allows(self, role: str) -> bool:
        return role != ANONYMOUS and (self.roles in (PUBLIC, SIGNED_IN) or role in self.roles)


def identity(anon: int | str, signed_in: int, *, with_totp: int | None = None) -> Access:
    """allauth's sign-in pages: the same for every role, except where it matters whether the user has an
    authenticator app (the roles that must use two-factor have one in the test world). Users signed in
    by the test client have not just typed their password, so sensitive pages first ask them to."""
    per_role = dict.fromkeys(TWO_FACTOR_ROLES, with_totp) if with_totp is not None else None
    return Access(None, roles=SIGNED_IN, ok=signed_in, anon=anon, per_role_ok=per_role)


def org_of(side: Side, role: str):
    return side.organisation_for(role) or side.borough.organisation


def _membership(side: Side, role: str):
    return Membership.objects.filter(organisation=org_of(side, role)).order_by("pk").first()


def _run(side: Side, role: str, *, with_file: bool = False):
    """A job the role's user started on that side (one with a file to download, if asked)."""
    user = side.users.get(role) or side.users[Role.BOROUGH_SUBMITTER]
    runs = TaskRun.objects.filter(created_by=user)
    return (runs.exclude(output="") if with_file else runs.filter(output="")).get()


ORG_ADMINS = frozenset(ADMIN_ROLE_BY_KIND.values()) | {Role.PLATFORM_ADMIN}
ANALYSTS_AND_ADMINS = frozenset({Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN})
SIGN_OFF_READERS = BOROUGH_ROLES | REGIONAL_ROLES | {Role.PLATFORM_ADMIN}
REFERENCE_PARTIES = AGENCY_ROLES | BOROUGH_ROLES | {Role.PLATFORM_ADMIN}
# A draft rate card is invisible (404) to everyone but its region's analysts and platform admins.
NOT_ANALYSTS_404 = {r: 404 for r in Role.values if r not in ANALYSTS_AND_ADMINS}


RETURN_MAKERS = BOROUGH_ROLES | {Role.MSP_USER}
RETURN_READERS = RETURN_MAKERS | REGIONAL_ROLES | {Role.PLATFORM_ADMIN}
REGIONAL_AND_ADMIN = REGIONAL_ROLES | {Role.PLATFORM_ADMIN}
PACK_READERS = BOROUGH_ROLES | REGIONAL_AND_ADMIN


def _period(side: Side, role: str) -> dict:
    return {"pk": side.ret.period_id}


def _side_return(side: Side, role: str):
    """An MSP user's return is the one of the borough their MSP serves; everyone else's is the borough's."""
    return side.msp_ret if role == Role.MSP_USER else side.ret


def _ret(side: Side, role: str) -> dict:
    return {"pk": _side_return(side, role).pk}


def _ret_borough(side: Side, role: str) -> int:
    return _side_return(side, role).unit.boroughs.get().pk


def _upload_run(side: Side, role: str) -> dict:
    """An upload's job on the role's return, followed through the return's organisation (not started by the
    role's user, so the jobs pages' own entries still find one job per user)."""
    from pledge_portal.access import organisations_for

    ret = _side_return(side, role)
    user = side.users.get(role) or side.users[Role.BOROUGH_SUBMITTER]
    organisation = next(iter(organisations_for(user, "return.edit")), None) or side.borough.organisation.pk
    run, _ = TaskRun.objects.get_or_create(
        kind="returns.upload",
        organisation_id=organisation,
        parameters={"return": ret.pk},
        defaults={"action": "return.edit", "label": "Upload", "status": TaskRun.Status.RUNNING},
    )
    return {"pk": ret.pk, "run": run.pk}


def _row(side: Side, role: str) -> dict:
    ret = _side_return(side, role)
    return {"pk": ret.pk, "row": ret.assignments.get().pk}


def _leaver(side: Side, role: str) -> dict:
    ret = _side_return(side, role)
    return {"pk": ret.pk, "leaver": ret.leavers.get().pk}


def _dfe_borough(side: Side, role: str) -> dict:
    return {"pk": side.ret.period_id, "borough": side.borough.pk}


def _draft(side: Side, role: str) -> dict:
    return {"pk": side.draft_card.pk}


TABLE: dict[str, Access] = {
    "home": Access("portal.home", PUBLIC),
    "healthz": Access("portal.home", PUBLIC),
    # Organisation admins are sent straight to their only organisation; platform admins choose from all.
    "accounts:organisations": Access(
        "organisation.manage_members", ORG_ADMINS, ok=302, per_role_ok={Role.PLATFORM_ADMIN: 200}
    ),
    "accounts:members": Access(
        "organisation.manage_members", ORG_ADMINS, kwargs=lambda s, r: {"slug": org_of(s, r).slug}
    ),
    "accounts:member-remove": Access(
        "organisation.manage_members",
        ORG_ADMINS,
        kwargs=lambda s, r: {"slug": org_of(s, r).slug, "pk": _membership(s, r).pk},
    ),
    "accounts:member-token-revoke": Access(
        "organisation.manage_members",
        ORG_ADMINS,
        ok=405,
        methods=("get", "post"),
        kwargs=lambda s, r: {"slug": org_of(s, r).slug, "pk": _membership(s, r).pk},
    ),
    "accounts:invitation-revoke": Access(
        "organisation.manage_members",
        ORG_ADMINS,
        ok=405,
        methods=("get", "post"),
        kwargs=lambda s, r: {"slug": org_of(s, r).slug, "pk": org_of(s, r).invitations.pending().first().pk},
    ),
    "accounts:invitation": Access(
        "invitation.accept", PUBLIC, kwargs=lambda s, r: {"token": s.invitation_token}, tenant_scoped=False
    ),
    "accounts:account": Access("account.use", SIGNED_IN),
    "accounts:api-token": Access("account.use", SIGNED_IN, ok=405),
    "audit:log": Access("audit.read", ANALYSTS_AND_ADMINS),
    "jobs:list": Access("job.read", SIGNED_IN),
    "jobs:detail": Access("job.read", SIGNED_IN, kwargs=lambda s, r: {"pk": _run(s, r).pk}),
    "jobs:download": Access("job.read", SIGNED_IN, kwargs=lambda s, r: {"pk": _run(s, r, with_file=True).pk}),
    "api-job-detail": Access("job.read", SIGNED_IN, anon=401, kwargs=lambda s, r: {"pk": _run(s, r).pk}),
    "boroughs:directory": Access("borough.directory", SIGNED_IN),
    "agencies:list": Access("agency.register", REGIONAL_ROLES | {Role.PLATFORM_ADMIN}),
    "api-schema": Access("api.docs", PUBLIC),
    "api-docs": Access("api.docs", PUBLIC),
    # Rates: caps and published cards are public; drafts belong to their region's analysts.
    "rates:current": Access("rates.read", PUBLIC),
    "rates:check": Access("rates.read", PUBLIC),
    "rates:cards": Access("rates.read", PUBLIC),
    "rates:card-create": Access("region.draft_rate_card", ANALYSTS_AND_ADMINS),
    "rates:card-import": Access("region.draft_rate_card", ANALYSTS_AND_ADMINS),
    # The list of the user's last refused upload: none is kept in the test world, so a 404.
    "rates:card-import-problems": Access("region.draft_rate_card", ANALYSTS_AND_ADMINS, ok=404),
    "rates:card-detail": Access("rates.read", PUBLIC, anon=404, kwargs=_draft, per_role_ok=NOT_ANALYSTS_404),
    "rates:card-export": Access("rates.read", PUBLIC, anon=404, kwargs=_draft, per_role_ok=NOT_ANALYSTS_404),
    "rates:card-edit": Access("rate_card.draft", ANALYSTS_AND_ADMINS, kwargs=_draft),
    "rates:card-publish": Access("rate_card.draft", ANALYSTS_AND_ADMINS, kwargs=_draft),
    "rates:card-impact": Access("rate_card.draft", ANALYSTS_AND_ADMINS, kwargs=_draft),
    "rates:card-delete": Access("rate_card.draft", ANALYSTS_AND_ADMINS, kwargs=_draft),
    "rates:sign-offs": Access("sign_off.read", SIGN_OFF_READERS),
    "rates:sign-off-create": Access("borough.sign_off_breach", frozenset({Role.BOROUGH_APPROVER})),
    "rates:sign-off-detail": Access("sign_off.read", SIGN_OFF_READERS, kwargs=lambda s, r: {"pk": s.sign_off.pk}),
    "api-rates-current": Access("rates.read", PUBLIC),
    "api-rates-cards": Access("rates.read", PUBLIC),
    "api-rates-check": Access("rates.read", PUBLIC, ok=405),
    # References: only the two parties (and boroughs a candidate is proposed to) see anything.
    "references:references": Access("reference.read", REFERENCE_PARTIES),
    "references:reference-upload": Access("reference.upload", AGENCY_ROLES),
    "references:reference-detail": Access(
        "reference.read", REFERENCE_PARTIES, kwargs=lambda s, r: {"pk": s.reference.pk}
    ),
    "references:reference-download": Access(
        "reference.read", REFERENCE_PARTIES, kwargs=lambda s, r: {"pk": s.reference.pk}
    ),
    "references:requests": Access("reference_request.read", REFERENCE_PARTIES),
    "references:request-create": Access("reference_request.make", AGENCY_ROLES),
    "references:request-detail": Access(
        "reference_request.read", REFERENCE_PARTIES, kwargs=lambda s, r: {"pk": s.open_request.pk}
    ),
    "references:request-complete": Access(
        "reference_request.answer", BOROUGH_ROLES, kwargs=lambda s, r: {"pk": s.open_request.pk}
    ),
    "references:request-decline": Access(
        "reference_request.answer", BOROUGH_ROLES, kwargs=lambda s, r: {"pk": s.open_request.pk}
    ),
    "references:request-cancel": Access(
        "reference_request.cancel",
        AGENCY_ROLES,
        ok=405,
        methods=("get", "post"),
        kwargs=lambda s, r: {"pk": s.open_request.pk},
    ),
    "references:proposals": Access("proposal.read", REFERENCE_PARTIES),
    "references:proposal-create": Access("proposal.make", AGENCY_ROLES),
    "references:cool-off-check": Access("cool_off.check", AGENCY_ROLES | {Role.PLATFORM_ADMIN}),
    # Shared referee contacts: the region's analysts, who see what identifies references, never their content.
    "references:shared-contacts": Access(
        "referee_contacts.read", ANALYSTS_AND_ADMINS, kwargs=lambda s, r: {"pk": s.region.pk}
    ),
    # The shared reference template: published versions for all; the draft for regional analysts only.
    "references:templates": Access("reference_template.read", SIGNED_IN),
    "references:template-detail": Access(
        "reference_template.read", SIGNED_IN, kwargs=lambda s, r: {"version": 1}, tenant_scoped=False
    ),
    "references:template-draft": Access("reference_template.draft", ANALYSTS_AND_ADMINS, ok=405),
    "references:template-edit": Access(
        "reference_template.draft",
        ANALYSTS_AND_ADMINS,
        kwargs=lambda s, r: {"version": 2},
        tenant_scoped=False,
        per_role_ok={Role.REGIONAL_ANALYST: 302, Role.PLATFORM_ADMIN: 302},  # a published version is not edited
    ),
    "references:template-publish": Access(
        "reference_template.draft",
        ANALYSTS_AND_ADMINS,
        ok=405,
        kwargs=lambda s, r: {"version": 2},
        tenant_scoped=False,
    ),
    "api-reference-requests": Access("reference_request.read", REFERENCE_PARTIES, anon=401),
    "api-reference-request": Access(
        "reference_request.read", REFERENCE_PARTIES, anon=401, kwargs=lambda s, r: {"pk": s.open_request.pk}
    ),
    "api-references": Access("reference.read", REFERENCE_PARTIES, anon=401),
    "api-reference": Access("reference.read", REFERENCE_PARTIES, anon=401, kwargs=lambda s, r: {"pk": s.reference.pk}),
    # Returns: a unit's own users and its MSP make them; the region's roles read them.
    "dashboards:index": Access("dashboard.index", SIGNED_IN),
    "dashboards:region": Access("dashboard.region", REGIONAL_AND_ADMIN, kwargs=lambda s, r: {"pk": s.region.pk}),
    "dashboards:borough": Access(
        "dashboard.borough",
        RETURN_READERS,
        kwargs=lambda s, r: {"pk": (s.msp_borough if r == Role.MSP_USER else s.borough).pk},
    ),
    "dashboards:agency": Access(
        "dashboard.agency", AGENCY_ROLES | {Role.PLATFORM_ADMIN}, kwargs=lambda s, r: {"pk": s.agency.pk}
    ),
    # Signs of bidding up: the region's analysts with boroughs named; a borough's own users, others anonymised.
    "dashboards:bidding-region": Access(
        "bidding_up.region", ANALYSTS_AND_ADMINS, kwargs=lambda s, r: {"pk": s.region.pk}
    ),
    "dashboards:bidding-threshold": Access(
        "bidding_up.set_threshold", ANALYSTS_AND_ADMINS, kwargs=lambda s, r: {"pk": s.region.pk}
    ),
    "dashboards:bidding-borough": Access(
        "bidding_up.borough", BOROUGH_ROLES | {Role.PLATFORM_ADMIN}, kwargs=lambda s, r: {"pk": s.borough.pk}
    ),
    "api-bidding-up": Access(
        "bidding_up.region", ANALYSTS_AND_ADMINS, anon=401, kwargs=lambda s, r: {"pk": s.region.pk}
    ),
    "returns:list": Access("return.read", RETURN_READERS),
    "returns:start": Access("unit.start_return", RETURN_MAKERS, ok=405),
    "returns:placement-flags": Access("placement.read_flags", AGENCY_ROLES),
    "returns:rules": Access("rules.read", SIGNED_IN),
    "returns:periods": Access("period.read", REGIONAL_AND_ADMIN),
    "returns:period-create": Access("period.open", ANALYSTS_AND_ADMINS),
    "returns:completeness": Access("period.read", REGIONAL_AND_ADMIN, kwargs=_period),
    "returns:period-extend": Access("period.extend", ANALYSTS_AND_ADMINS, kwargs=_period),
    "returns:period-lock": Access("period.lock", ANALYSTS_AND_ADMINS, ok=405, methods=("get", "post"), kwargs=_period),
    # Which borough a worker left is for the region's analysts only (the hiring borough is told the date).
    "returns:leaver-matches": Access("leaver.read_matches", ANALYSTS_AND_ADMINS, kwargs=_period),
    "returns:detail": Access("return.read", RETURN_READERS, kwargs=_ret),
    "returns:row-add": Access("return.edit", RETURN_MAKERS, kwargs=_ret),
    "returns:row-edit": Access("return.edit", RETURN_MAKERS, kwargs=_row),
    "returns:row-end": Access("return.edit", RETURN_MAKERS, kwargs=_row),
    "returns:row-remove": Access("return.edit", RETURN_MAKERS, kwargs=_row),
    "returns:row-breach": Access("breach.sign_off", {Role.BOROUGH_APPROVER}, kwargs=_row),
    "returns:row-exception": Access("breach.sign_off", {Role.BOROUGH_APPROVER}, kwargs=_row),
    "returns:workforce": Access("return.edit", RETURN_MAKERS, kwargs=_ret),
    "returns:leavers": Access("return.read", RETURN_READERS, kwargs=_ret),
    "returns:leaver-add": Access("return.edit", RETURN_MAKERS, kwargs=_ret),
    "returns:leaver-remove": Access("return.edit", RETURN_MAKERS, kwargs=_leaver),
    "returns:template": Access("return.read", RETURN_READERS, kwargs=_ret),
    "returns:upload": Access("return.edit", RETURN_MAKERS, kwargs=_ret),
    "returns:upload-problems": Access("return.edit", RETURN_MAKERS, ok=404, kwargs=_ret),
    "returns:upload-status": Access("return.edit", RETURN_MAKERS, kwargs=_upload_run),
    "returns:dfe-export": Access(
        "return.read", RETURN_READERS, kwargs=lambda s, r: {**_ret(s, r), "borough": _ret_borough(s, r)}
    ),
    "returns:check": Access(
        "return.check", RETURN_MAKERS | ANALYSTS_AND_ADMINS, ok=405, methods=("get", "post"), kwargs=_ret
    ),
    "returns:findings": Access("return.read", RETURN_READERS, kwargs=_ret),
    "returns:snapshot": Access("return.read", RETURN_READERS, kwargs=lambda s, r: {**_ret(s, r), "number": 1}),
    "returns:changes": Access("return.read", RETURN_READERS, kwargs=_ret),
    "returns:changes-csv": Access("return.read", RETURN_READERS, kwargs=_ret),
    # GET asks for confirmation of the step (here: submit), which only the unit's own users may take.
    "returns:workflow": Access(
        "return.read",
        RETURN_MAKERS,
        methods=("get", "post"),
        kwargs=lambda s, r: {**_ret(s, r), "step": "submit"},
    ),
    # Compliance packs: the region's roles see all of its packs, a borough's own users their borough's.
    "packs:index": Access("pack.download", PACK_READERS),
    "packs:period": Access("pack.download", PACK_READERS, kwargs=_period),
    "packs:build": Access("pack.build", ANALYSTS_AND_ADMINS, ok=405, methods=("get", "post"), kwargs=_period),
    "packs:download": Access("pack.download", PACK_READERS, kwargs=lambda s, r: {"pk": s.pack.pk, "kind": "pdf"}),
    "api-agencies": Access("agency.lookup", RETURN_MAKERS | ANALYSTS_AND_ADMINS, anon=401),
    # DfE return: a borough's own users its file; the region's roles every borough's and the regional extract.
    "dfe:index": Access("dfe.read", PACK_READERS),
    "dfe:period": Access("dfe.read", PACK_READERS, kwargs=_period),
    "dfe:borough": Access("dfe.download", PACK_READERS, kwargs=_dfe_borough),
    "dfe:borough-assignments": Access("dfe.download", PACK_READERS, kwargs=_dfe_borough),
    "dfe:extract-build": Access(
        "dfe.extract_build", ANALYSTS_AND_ADMINS, ok=405, methods=("get", "post"), kwargs=_period
    ),
    "dfe:extract-download": Access(
        "dfe.extract_download", REGIONAL_AND_ADMIN, kwargs=lambda s, r: {"pk": s.dfe_extract.pk}
    ),
    "api-dfe-period": Access("dfe.read", PACK_READERS, anon=401, kwargs=_period),
    "api-dfe-borough": Access("dfe.download", PACK_READERS, anon=401, kwargs=_dfe_borough),
    "api-dfe-borough-assignments": Access("dfe.download", PACK_READERS, anon=401, kwargs=_dfe_borough),
    "api-dfe-extract": Access(
        "dfe.extract_download", REGIONAL_AND_ADMIN, anon=401, kwargs=lambda s, r: {"pk": s.dfe_extract.pk}
    ),
    "api-returns": Access("return.read", RETURN_READERS, anon=401),
    "api-return": Access("return.read", RETURN_READERS, anon=401, kwargs=_ret),
    "api-return-assignments": Access("return.edit", RETURN_MAKERS, ok=405, anon=401, kwargs=_ret),
    "api-return-validate": Access("return.check", RETURN_MAKERS | ANALYSTS_AND_ADMINS, ok=405, anon=401, kwargs=_ret),
    "api-return-findings": Access("return.read", RETURN_READERS, anon=401, kwargs=_ret),
    "api-return-changes": Access("return.read", RETURN_READERS, anon=401, kwargs=_ret),
    "api-return-submit": Access("return.submit", RETURN_MAKERS, ok=405, anon=401, kwargs=_ret),
    "api-return-workforce": Access("return.edit", RETURN_MAKERS, ok=405, anon=401, kwargs=_ret),
    # GET lists the leavers for the return's readers; PUT (not walked) is its makers' (tests/returns/test_leavers.py).
    "api-return-leavers": Access("return.read", RETURN_READERS, anon=401, kwargs=_ret),
    "api-return-explanations": Access("return.edit", RETURN_MAKERS, ok=405, anon=401, kwargs=_ret),
    # allauth: sign-in, password and two-factor pages.
    "account_login": identity(anon=200, signed_in=302),
    "account_logout": identity(anon=302, signed_in=200),
    "account_inactive": identity(anon=200, signed_in=200),
    "account_signup": identity(anon=200, signed_in=302),
    "account_reauthenticate": identity(anon=LOGIN, signed_in=200),
    "account_email": identity(anon=LOGIN, signed_in=200),
    "account_email_verification_sent": identity(anon=200, signed_in=200),
    "account_change_password": identity(anon=LOGIN, signed_in=200),
    "account_set_password": identity(anon=LOGIN, signed_in=302),
    "account_reset_password": identity(anon=200, signed_in=200),
    "account_reset_password_done": identity(anon=200, signed_in=200),
    "account_reset_password_from_key_done": identity(anon=200, signed_in=200),
    "account_confirm_login_code": identity(anon=302, signed_in=302),
    "mfa_index": identity(anon=LOGIN, signed_in=200),
    "mfa_authenticate": identity(anon=302, signed_in=302),
    "mfa_reauthenticate": identity(anon=LOGIN, signed_in=302, with_totp=200),
    "mfa_activate_totp": identity(anon=LOGIN, signed_in=302),
    "mfa_deactivate_totp": identity(anon=LOGIN, signed_in=404, with_totp=302),
    "mfa_view_recovery_codes": identity(anon=LOGIN, signed_in=404),
    "mfa_generate_recovery_codes": identity(anon=LOGIN, signed_in=302),
    "mfa_download_recovery_codes": identity(anon=LOGIN, signed_in=404),
}
# allauth links whose key is a one-time secret: a made-up key must reveal nothing.
KEYED = {
    "account_confirm_email": ({"key": "not-a-real-key"}, identity(anon=200, signed_in=200)),
    "account_reset_password_from_key": (
        {"uidb36": "zz", "key": "not-a-real-key"},
        identity(anon=200, signed_in=200),
    ),
}


def walk(patterns=None, namespace=None):
    """(qualified name, pattern) for every URL pattern the portal serves."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield (f"{namespace}:{p.name}" if namespace and p.name else p.name), p


def admin_cases() -> dict[str, tuple[type, str]]:
    """Every named admin URL for a registered model: name -> (model, view)."""
    cases = {}
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        for view in ("changelist", "add", "change", "delete", "history"):
            cases[f"admin:{info[0]}_{info[1]}_{view}"] = (model, view)
    return cases


ADMIN_SITE_URLS = {
    "admin:index": {},
    "admin:login": {},
    "admin:logout": {},
    "admin:password_change": {},
    "admin:password_change_done": {},
    "admin:jsi18n": {},
    "admin:autocomplete": {},
}


def test_admin_password_change_for_a_user(walk_world, client_for):
    """The admin's set-a-password page for a user: platform admins only."""
    url = reverse("admin:auth_user_password_change", args=[walk_world.own.users[Role.AGENCY_USER].pk])
    for role in ALL_ROLES:
        response = _client(walk_world, role, client_for).get(url)
        expected = 200 if role == Role.PLATFORM_ADMIN else 302
        assert response.status_code == expected, f"{role} {url}: {response.status_code}"


def test_every_url_is_in_the_table():
    names = {name for name, _ in walk()}
    unnamed = [str(p.pattern) for name, p in walk() if name is None]
    known = (
        set(TABLE)
        | set(KEYED)
        | set(admin_cases())
        | set(ADMIN_SITE_URLS)
        | {
            "admin:app_list",
            "admin:view_on_site",
            "admin:auth_user_password_change",
        }
    )
    assert names - {None} - known == set(), "URLs with no access rule: add them to TABLE in tests/test_tenancy.py"
    # The admin's own unnamed redirects are the only unnamed patterns allowed.
    assert all(p.endswith("<path:object_id>/") or p == "(?P<url>.*)$" for p in unnamed), unnamed


# --- The world the walk runs in ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def _walk_world_once(django_db_setup, django_db_blocker) -> World:
    """``walk_world``'s data, made once for the module inside a transaction that is rolled back at its end;
    each test runs in a savepoint within it (pytest-django's ``db``), so tests still cannot see each
    other's changes. Building it for each of some 250 tests took most of this module's time."""
    from django.db import transaction
    from django.test.utils import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = make_world()
            with override_settings(DEFAULT_REGION_CODE=world.own.region.code):
                _fill_walk_world(world)
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def walk_world(_walk_world_once: World, db, settings) -> World:
    settings.DEFAULT_REGION_CODE = _walk_world_once.own.region.code
    return _walk_world_once


def _fill_walk_world(world: World) -> None:
    """The two-tenant world plus one of everything a URL can name: invitations, jobs with files, events,
    a published and a draft rate card per region, a breach sign-off per borough, per side an open
    reference request, a completed reference, returns and a compliance pack."""
    from dashboards.models import RagThreshold

    for side in (world.own, world.other):
        analyst = side.users[Role.REGIONAL_ANALYST]
        RagThreshold.objects.create(region=side.region, measure="cool_off", amber_at=1, red_at=3)
        published = publish_card(side.region, analyst)
        side.draft_card = rate_services.create_draft(
            region=side.region,
            by=analyst,
            title="Next year",
            effective_from=date(2030, 4, 1),
            evidence_note="Draft",
            copy_from=published,
        )
        side.sign_off = rate_services.sign_off_breach(
            borough=side.borough,
            by=side.users[Role.BOROUGH_APPROVER],
            registration_number="SW123",
            role="social-worker",
            engagement_type="paye",
            assignment_start=date(2026, 5, 1),
            hourly_rate=Decimal("99.00"),
            reason="Hard to fill",
            signed_by_title="DCS",
            chief_executive="A. Chief",
        )
        side.reference = completed_reference(side, candidate_name=f"Kit of {side.borough.name}")
        period = open_return_period(side)
        side.ret = draft_return(side, period=period, with_card=False)
        add_row(side.ret, side, registration_number=f"SW{side.region.pk}01")
        returns_services._snapshot(side.ret, side.users[Role.BOROUGH_SUBMITTER])
        msp_unit = ReportingUnit.objects.get(boroughs=side.msp_borough)
        side.msp_ret = returns_services.start_return(unit=msp_unit, period=period, by=side.users[Role.MSP_USER])
        returns_services.save_assignment(
            ret=side.msp_ret,
            by=side.users[Role.MSP_USER],
            expected_revision=side.msp_ret.revision,
            values=good_row(side, borough=side.msp_borough, registration_number=f"SW{side.region.pk}02"),
        )
        returns_services._snapshot(side.msp_ret, side.users[Role.MSP_USER])
        for ret, who, number in ((side.ret, Role.BOROUGH_SUBMITTER, "03"), (side.msp_ret, Role.MSP_USER, "04")):
            ret.refresh_from_db()
            returns_services.add_leaver(
                ret=ret,
                by=side.users[who],
                expected_revision=ret.revision,
                values={
                    "registration_number": f"SW{side.region.pk}{number}",
                    "leaving_date": date(2026, 7, 31),
                    "role": RoleCategory.objects.get(code="social-worker"),
                },
            )
        side.pack = CompliancePack.objects.create(
            period=period,
            borough=side.borough,
            version=1,
            status=CompliancePack.Status.READY,
            data_version="walk",
            pdf=default_storage.save(f"compliance-packs/walk-{side.region.pk}.pdf", ContentFile(b"%PDF-1.7")),
            xlsx=default_storage.save(f"compliance-packs/walk-{side.region.pk}.xlsx", ContentFile(b"PK")),
            pdf_sha256="0" * 64,
            xlsx_sha256="0" * 64,
        )
        side.dfe_extract = DfeExtract.objects.create(
            period=period,
            version=1,
            status=DfeExtract.Status.READY,
            data_version="walk",
            xlsx=default_storage.save(f"dfe-extracts/walk-{side.region.pk}.xlsx", ContentFile(b"PK")),
            xlsx_sha256="0" * 64,
        )
        side.open_request = reference_services.request_reference(
            agency=side.agency,
            borough=side.borough,
            by=side.users[Role.AGENCY_USER],
            registration_number="SW900002",
            candidate_name=f"Oli of {side.borough.name}",
        )
        reference_services.propose_candidate(
            agency=side.agency,
            borough=side.msp_borough,
            by=side.users[Role.AGENCY_USER],
            registration_number=side.reference.registration_number,
            candidate_name=side.reference.candidate_name,
        )
        for role, user in side.users.items():
            TaskRun.objects.create(kind="test", label=f"Job of {user.email}", created_by=user)
            done = TaskRun.objects.create(
                kind="test", label="Finished job", created_by=user, status=TaskRun.Status.SUCCEEDED
            )
            done.output.save(f"{role}.csv", ContentFile(b"a,b\n"), save=True)
        inviter = side.users[Role.BOROUGH_APPROVER]
        for org in {side.organisation_for(r) for r in side.users} | {side.borough.organisation}:
            _, token = account_services.invite_member(
                organisation=org,
                email=f"invitee-{org.slug}@example.test",
                role=org.roles[0],
                by=world.platform_admin,
            )
            side.invitation_token = token
        audit.record(inviter, "test.private_event", side.borough, detail={"marker": side.borough.name})
    Group.objects.create(name="Unused group")
    LocalRole.objects.create(
        region=world.own.region,
        code="principal-social-worker",
        name="Principal social worker",
        core=RoleCategory.objects.get(code="advanced-practitioner"),
    )
    account_services.create_api_token(user=world.own.users[Role.AGENCY_USER])


def private_markers(side: Side) -> list[str]:
    """Text that only that side's own users, its region's analysts or platform admins may see."""
    return [u.email for u in side.users.values()] + [
        f"invitee-{side.borough.organisation.slug}@example.test",
        side.reference.candidate_name,
        side.open_request.candidate_name,
        f"SW{side.region.pk}01",
        f"SW{side.region.pk}02",
    ]


def _location_is_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def _check(response, expected, url: str, role: str) -> None:
    if expected == LOGIN:
        assert _location_is_login(response), f"{role} {url}: {response.status_code} {response.get('Location')}"
    else:
        assert response.status_code == expected, f"{role} {url}: expected {expected}, got {response.status_code}"


# What a page or API answer may be; anything else is a file, which must come as an attachment.
NOT_FILES = ("text/html", "application/json", "application/vnd.oai.openapi")


def _check_headers(response, url: str, role: str, *, private: bool) -> None:
    """Every answer has the strict Content-Security-Policy; a signed-in user's answers are never stored;
    every file is an attachment; no page has inline script or style (the policy would refuse it)."""
    from tests.pledge_portal.test_headers import assert_no_inline_code, assert_strict_policy

    assert_strict_policy(response)
    if response.status_code != 200:
        return
    if role != ANONYMOUS and private:
        assert "no-store" in response.get("Cache-Control", ""), f"{role} {url}: {response.get('Cache-Control')}"
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(NOT_FILES):
        assert response.get("Content-Disposition", "").startswith("attachment"), f"{url}: {content_type}"
        assert "no-store" in response.get("Cache-Control", ""), f"{url}: a file that may be stored"
    elif content_type.startswith("text/html") and not response.streaming:
        assert_no_inline_code(response.content.decode())


def _client(world: World, role: str, client_for):
    return client_for(None if role == ANONYMOUS else world.user(role))


@pytest.mark.parametrize("name", sorted(TABLE))
def test_portal_url_as_every_role(name, walk_world, client_for):
    access = TABLE[name]
    for role in ALL_ROLES:
        client = _client(walk_world, role, client_for)
        own_role = role if role != ANONYMOUS else Role.BOROUGH_SUBMITTER
        url = reverse(name, kwargs=access.kwargs(walk_world.own, own_role) if access.kwargs else None)
        response = client.get(url)
        _check(response, access.expected(role), url, role)
        # The public API answers everyone alike (it does not even read the session), so it may be cached.
        _check_headers(response, url, role, private=not (access.roles == PUBLIC and url.startswith("/api/v1/")))
        textual = response.get("Content-Type", "").startswith(("text/", "application/json"))
        if response.status_code == 200 and textual and role not in (Role.PLATFORM_ADMIN, ANONYMOUS):
            body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
            leaked = [m for m in private_markers(walk_world.other) if m in body]
            assert not leaked, f"{role} sees another tenant's data at {url}: {leaked}"

        if access.kwargs is None or not access.tenant_scoped or access.expected(role) != access.ok:
            continue
        if role == ANONYMOUS:
            continue
        other_url = reverse(name, kwargs=access.kwargs(walk_world.other, own_role))
        for method in access.methods:
            if method == "get" and access.ok == 405:
                continue  # the method is refused before any object is looked up
            response = getattr(client, method)(other_url)
            if role == Role.PLATFORM_ADMIN:
                assert response.status_code != 404, f"platform admin cannot reach {other_url}"
            else:
                assert response.status_code == 404, f"{role} {method} {other_url}: {response.status_code}"


def _view_class(pattern: URLPattern):
    callback = pattern.callback
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def test_each_view_declares_its_action():
    """The table keys each URL by the action its view declares; the policy knows every one of them."""
    from pledge_portal.access import registry

    patterns = dict(walk())
    for name, access in TABLE.items():
        if access.action is None:
            continue
        view = _view_class(patterns[name])
        assert getattr(view, "action_required", None) == access.action, f"{name}: {view} declares another action"
        registry.get(access.action)


# People with different roles in two organisations of one kind: (role in the own side's, role in the other's).
HYBRIDS = [
    (Role.BOROUGH_SUBMITTER, Role.BOROUGH_APPROVER),  # two boroughs
    (Role.BOROUGH_APPROVER, Role.BOROUGH_SUBMITTER),
    (Role.STEERING_MEMBER, Role.REGIONAL_ANALYST),  # two regions
    (Role.REGIONAL_ANALYST, Role.STEERING_MEMBER),
    (Role.AGENCY_USER, Role.MSP_USER),  # an agency and an MSP
    (Role.MSP_USER, Role.AGENCY_ADMIN),
]


@pytest.mark.parametrize("own_role,other_role", HYBRIDS, ids=lambda r: r)
def test_a_role_held_elsewhere_opens_nothing_here(own_role, other_role, walk_world, client_for):
    """On the own side's objects, a person gets what their own-side role allows; the role they hold in another
    organisation lets them through a page's door (they may use it for that organisation) but finds nothing."""
    own, other = walk_world.own, walk_world.other
    person = user_with_role(own_role, org_of(own, own_role))
    Membership.objects.create(user=person, organisation=org_of(other, other_role), role=other_role)
    if other_role in TWO_FACTOR_ROLES and own_role not in TWO_FACTOR_ROLES:
        TOTP.activate(person, generate_totp_secret())
    client = client_for(person)
    checked = 0
    for name, access in sorted(TABLE.items()):
        if access.kwargs is None or not access.tenant_scoped or access.roles in (PUBLIC, SIGNED_IN):
            continue
        url = reverse(name, kwargs=access.kwargs(own, own_role))
        if access.allows(own_role):
            expected = access.expected(own_role)
        elif access.allows(other_role):
            expected = 405 if access.ok == 405 else 404
        else:
            expected = 403
        _check(client.get(url), expected, url, f"{own_role} here and {other_role} elsewhere")
        if "post" in access.methods and not access.allows(own_role) and access.allows(other_role):
            _check(client.post(url), 404, url, f"{own_role} here and {other_role} elsewhere (POST)")
        checked += 1
    assert checked > 20


def test_forged_ids_change_nothing(walk_world, client_for):
    """POSTs naming another tenant's objects are refused and leave them untouched."""
    approver = walk_world.own.users[Role.BOROUGH_APPROVER]
    own_org = walk_world.own.borough.organisation
    other_org = walk_world.other.borough.organisation
    other_invitation = other_org.invitations.pending().get()
    other_membership = Membership.objects.filter(organisation=other_org).first()
    client = client_for(approver)
    # Another tenant's id under one's own organisation's address, and under theirs.
    for url in (
        reverse("accounts:invitation-revoke", args=[own_org.slug, other_invitation.pk]),
        reverse("accounts:invitation-revoke", args=[other_org.slug, other_invitation.pk]),
        reverse("accounts:member-remove", args=[own_org.slug, other_membership.pk]),
        reverse("accounts:member-remove", args=[other_org.slug, other_membership.pk]),
    ):
        assert client.post(url).status_code == 404, url
    other_invitation.refresh_from_db()
    assert other_invitation.status == "pending"
    assert Membership.objects.filter(pk=other_membership.pk).exists()


@pytest.mark.parametrize("name", sorted(KEYED))
def test_keyed_identity_links(name, walk_world, client_for):
    kwargs, access = KEYED[name]
    for role in ALL_ROLES:
        response = _client(walk_world, role, client_for).get(reverse(name, kwargs=kwargs))
        _check(response, access.expected(role), name, role)


def _admin_object(model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the walk world has no {model.__name__} to open in the admin"
    return obj


@pytest.mark.parametrize("name", sorted(admin_cases()))
def test_admin_model_urls(name, walk_world, client_for):
    """Only platform admins reach the admin; everyone else is turned away before any data is read."""
    model, view = admin_cases()[name]
    model_admin = admin.site._registry[model]
    obj = _admin_object(model) if view in ("change", "delete", "history") else None
    url = reverse(name, args=[obj.pk] if obj is not None else [])
    request = RequestFactory().get(url)
    request.user = walk_world.platform_admin
    allowed = {
        "add": lambda: model_admin.has_add_permission(request),
        "delete": lambda: model_admin.has_delete_permission(request, obj),
    }.get(view, lambda: True)()
    for role in ALL_ROLES:
        response = _client(walk_world, role, client_for).get(url)
        if role == Role.PLATFORM_ADMIN:
            assert response.status_code == (200 if allowed else 403), f"{url}: {response.status_code}"
        else:
            assert response.status_code == 302, f"{role} {url}: {response.status_code}"
            assert response["Location"].startswith(reverse("admin:login")), response["Location"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_admin_site_urls(role, walk_world, client_for):
    client = _client(walk_world, role, client_for)
    admin_user = role == Role.PLATFORM_ADMIN
    for name in ADMIN_SITE_URLS:
        url = reverse(name)
        response = client.get(url)
        if name == "admin:login":
            expected = 302 if role == ANONYMOUS or admin_user else 403
        elif name == "admin:logout":
            expected = 405 if admin_user else 302  # signing out is a POST
        elif name == "admin:autocomplete":
            expected = 403 if admin_user else 302  # needs a model and field to search
        else:
            expected = 200 if admin_user else 302
        assert response.status_code == expected, f"{role} {url}: {response.status_code}"
        if name == "admin:login" and role == ANONYMOUS:
            assert _location_is_login(response)  # never the admin's own, two-factor-free sign-in
    app_list = client.get(reverse("admin:app_list", args=["accounts"]))
    assert app_list.status_code == (200 if admin_user else 302)
    borough = walk_world.own.borough
    from django.contrib.contenttypes.models import ContentType

    view_on_site = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(borough).pk, borough.pk])
    # Boroughs have no public page, so even a platform admin is told there is none.
    assert client.get(view_on_site).status_code == (404 if admin_user else 302)
