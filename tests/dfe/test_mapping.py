"""The declared mapping: every source a column names exists, every value of a coded column has a DfE code, and
every sheet can be written."""

import pytest
from django.core.exceptions import FieldDoesNotExist

from boroughs.models import Borough
from dfe import mapping
from dfe.content import DERIVED
from rates.models import BreachSignOff, EngagementType, RoleCategory
from returns.models import Assignment, ReportingPeriod, Return, StatutoryException

MODELS = {
    "assignment": Assignment,
    "borough": Borough,
    "return": Return,
    "period": ReportingPeriod,
    "sign_off": BreachSignOff,
    "exception": StatutoryException,
}
ALL_FIELDS = [(spec, f) for spec in mapping.SHEETS for f in spec.fields]


@pytest.mark.parametrize("spec,field", ALL_FIELDS, ids=lambda x: getattr(x, "key", None) or getattr(x, "heading", ""))
def test_every_mapped_source_exists(spec, field):
    owner, name = field.source.split(".", 1)
    if owner == "derived":
        assert name in DERIVED[spec.key], f"{spec.key}: the builder does not derive {name!r}"
    else:
        assert owner in MODELS, f"{field.source}: no such object"
        try:
            MODELS[owner]._meta.get_field(name)
        except FieldDoesNotExist:
            pytest.fail(f"{spec.key}: {field.source} is not a field of {MODELS[owner].__name__}")


def test_the_builder_derives_nothing_the_mapping_does_not_use():
    for spec in mapping.SHEETS:
        used = {f.source.split(".", 1)[1] for f in spec.fields if f.source.startswith("derived.")}
        assert DERIVED[spec.key] == used, spec.key


def test_every_coded_field_names_a_code_list_and_a_known_kind():
    from pledge_portal.core.tables import KINDS

    for _spec, field in ALL_FIELDS:
        assert field.codes is None or field.codes in mapping.CODE_LISTS, field
        assert field.kind in KINDS, field
        assert field.certainty in mapping.Certainty and field.basis, field


@pytest.mark.django_db
def test_every_core_role_has_a_dfe_role_type_and_a_census_org_role():
    codes = set(RoleCategory.objects.values_list("code", flat=True))
    assert len(codes) == 5
    assert codes == set(mapping.ROLE_TYPE.codes) == set(mapping.CENSUS_ORG_ROLE.codes)
    assert set(mapping.ROLE_TYPE.codes.values()) == {
        "social_worker",
        "senior_social_worker",
        "advanced_practitioner",
        "team_manager",
        "iro_cp_chair",
    }


def test_every_engagement_type_and_level_maps():
    assert set(mapping.ENGAGEMENT_TYPE.codes) == set(EngagementType.values)
    assert set(mapping.YES_NO.codes) == set(mapping.AGENCY_WORKER.codes) == {True, False}
    from dfe.content import _level

    levels = {_level(c, b, n) for c in (0, 1) for b in (0, 1) for n in (0, 1)}
    assert levels == set(mapping.COMPLIANCE_LEVEL.codes)


def test_a_blank_value_is_blank_and_an_unknown_one_is_refused():
    assert mapping.ROLE_TYPE.encode(None) == "" and mapping.YES_NO.encode("") == ""
    with pytest.raises(KeyError):
        mapping.ROLE_TYPE.encode("principal-social-worker")  # a local role is mapped to its core role first


def test_sheet_names_fit_a_workbook_and_headings_are_unique():
    assert len({s.title for s in mapping.SHEETS}) == len(mapping.SHEETS)
    for spec in mapping.SHEETS:
        assert len(spec.title) <= 31, spec.title
        headings = [f.heading for f in spec.fields]
        assert len(headings) == len(set(headings)), spec.key


def test_rules_are_the_six_statutory_rules_with_their_thresholds():
    from returns.rules import MAXIMUM_NOTICE_WEEKS, MINIMUM_PQE_YEARS

    assert [r.key for r in mapping.RULES] == ["price_cap", "project_teams", "notice", "cool_off", "pqe", "references"]
    assert str(MINIMUM_PQE_YEARS) in mapping.RULES_BY_KEY["pqe"].statement
    assert str(MAXIMUM_NOTICE_WEEKS) in mapping.RULES_BY_KEY["notice"].statement
    from returns.rules import all_rules

    known = {r.code for r in all_rules()}
    assert all(code in known for rule in mapping.RULES for code in rule.codes)
