"""Loading London's authorities and the demo data: complete, correct and safe to repeat."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from boroughs.models import Borough, Region, SubRegion
from pledge_portal.accounts.models import Membership, Organisation, User
from pledge_portal.accounts.roles import Role
from pledge_portal.core.demo import demo_users
from tests.conftest import require_service


@pytest.mark.django_db
def test_the_33_london_authorities_load_once_with_codes_and_sub_regions():
    call_command("load_authorities")
    call_command("load_authorities")
    assert Borough.objects.count() == 33
    assert SubRegion.objects.count() == 5
    camden = Borough.objects.get(gss_code="E09000007")
    assert (camden.dfe_code, camden.sub_region.name, camden.region.name) == ("202", "North Central London", "London")
    assert Borough.objects.filter(pledge_signatory=True).count() == 32
    assert not Borough.objects.get(name="City of London").pledge_signatory
    team = Region.objects.get(code="E12000007").organisation
    assert team.kind == "regional_team"


@pytest.mark.django_db
def test_the_shipped_list_matches_the_shared_reference_data():
    shared = Path(settings.BASE_DIR).parent / "shared" / "data" / "london_local_authorities.csv"
    require_service("../shared reference data", shared.exists(), "check out the project beside ../shared")
    assert shared.read_bytes() == settings.AUTHORITIES_CSV.read_bytes()


@pytest.mark.django_db
def test_a_file_without_the_expected_columns_is_refused(tmp_path):
    bad = tmp_path / "authorities.csv"
    bad.write_text("code,name\nE09000001,City\n")
    with pytest.raises(CommandError, match="lacks the columns"):
        call_command("load_authorities", csv=bad)
    assert not Borough.objects.exists()


@pytest.mark.django_db
def test_demo_data_gives_one_user_per_role_and_can_be_loaded_twice(settings):
    settings.DEBUG = True
    call_command("load_authorities")
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == len(demo_users())
    held = set(Membership.objects.values_list("role", flat=True)) | {Role.PLATFORM_ADMIN}
    assert held == set(Role.values)
    assert Organisation.objects.filter(kind="agency").count() == 2
    # The leavers register: Hackney reported a leaver whom Camden's draft engages within the cool-off.
    from returns.models import Leaver, Return, ValidationRun
    from returns.validation import run_validation

    draft = Return.objects.get(unit__boroughs__gss_code="E09000007", status=Return.Status.DRAFT)
    run = ValidationRun.objects.create(ret=draft, revision=draft.revision)
    run_validation(run)
    (flagged,) = run.findings.filter(rule_code="COOL-004")
    assert "SW201099" in flagged.message and "Hackney" not in flagged.message
    assert Leaver.objects.filter(ret__unit__boroughs__gss_code="E09000012").count() == 2


@pytest.mark.django_db
def test_demo_users_are_refused_in_production(settings):
    settings.DEBUG = False
    call_command("load_authorities")
    with pytest.raises(CommandError, match="not created when DEBUG is false"):
        call_command("seed_demo")
    assert not User.objects.exists()
