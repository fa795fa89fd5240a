"""Shared referee contacts: template version 3 records the referee's work email and phone, checked and
normalised; the region's analysts see references where one contact vouches for different candidates or is a
candidate's own, across boroughs, and nothing else (not the same candidate twice, not different contacts, never
blanks, not another region). Only what the reference access rules allow is shown, and every listing is audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from references import services
from references.answers import AnswersInvalid, clean_answers
from references.contacts import contact_columns, phone_key
from references.models import Reference, ReferenceTemplate
from references.selectors import current_template, reference_history
from references.shared_contacts import shared_referee_contacts
from tests.dashboards.dashboard_data import more_boroughs

from .helpers import GOOD_ANSWERS


def _reference(side, borough, reg, *, email="", phone="", candidate_email="", candidate_phone="") -> Reference:
    """A reference written straight to the table, as the services would store it."""
    answers = {"referee_email": email.lower(), "referee_phone": phone}
    return Reference.objects.create(
        source=Reference.Source.COMPLETED,
        template=current_template(),
        registration_number=reg,
        candidate_name=f"Candidate {reg}",
        issuing_borough=borough,
        agency=side.agency,
        answers=answers,
        **contact_columns(answers, candidate_email=candidate_email, candidate_phone=candidate_phone),
        author=side.users[Role.BOROUGH_APPROVER],
        retain_until=timezone.localdate() + timedelta(days=30),
    )


def _world(world):
    side = world.own
    b1, b2 = side.borough, more_boroughs(side, 1)[0]
    made = {
        "r1": _reference(side, b1, "SW1", email="Pat@B1.test", phone="020 7946 0000"),
        "r2": _reference(side, b2, "SW2", email="pat@b1.test"),  # the same email, another case and borough
        "r3": _reference(side, b1, "SW3", email="x@b1.test", phone="+44 (0)20 7946 0000"),  # r1's phone
        "r4a": _reference(side, b1, "SW4", email="same@b2.test"),  # the same candidate twice: not shared
        "r4b": _reference(side, b2, "SW4", email="same@b2.test"),
        "r5": _reference(side, b2, "SW5", email="self@mail.test", candidate_email="SELF@mail.test"),
        "r6": _reference(side, b1, "SW6"),  # blanks never match each other
        "r7": _reference(side, b2, "SW7"),
        "r8": _reference(side, b1, "SW8", email="diff1@b.test"),
        "r9": _reference(side, b2, "SW9", email="diff2@b.test"),
        "r11": _reference(side, b1, "SW11", candidate_phone="07700 900123"),
        "r12": _reference(side, b2, "SW12", email="r12@b.test", phone="07700900123"),  # SW11's own phone
    }
    other = world.other
    made["r10"] = _reference(other, other.borough, "SW10", email="pat@b1.test")  # another region
    return made


def _groups(world):
    return {(g.kind, g.value): g for g in shared_referee_contacts(world.own.region).groups}


def test_contacts_shared_across_candidates_or_with_a_candidate_are_grouped_and_nothing_else(world):
    made = _world(world)
    groups = _groups(world)
    assert set(groups) == {
        ("email", "pat@b1.test"),
        ("phone", "02079460000"),
        ("email", "self@mail.test"),
        ("phone", "07700900123"),
    }
    email = groups[("email", "pat@b1.test")]
    assert {m.reference_id for m in email.members} == {made["r1"].pk, made["r2"].pk}  # not the other region's
    assert email.reasons == ["The referee's contact on references about 2 different candidates"]
    assert {m.borough for m in email.members} == {world.own.borough.name, made["r2"].issuing_borough.name}
    assert groups[("email", "self@mail.test")].reasons == ["The referee shares a contact with the candidate"]
    assert {(m.part, m.registration_number) for m in groups[("email", "self@mail.test")].members} == {
        ("referee", "SW5"),
        ("candidate", "SW5"),
    }
    assert groups[("phone", "07700900123")].reasons == [
        "A candidate's own contact is the referee's on a reference about another candidate"
    ]
    assert shared_referee_contacts(world.other.region).total == 0


def test_groups_are_bounded_and_paged(world, django_assert_max_num_queries):
    _world(world)
    with django_assert_max_num_queries(3):
        first = shared_referee_contacts(world.own.region, limit=1, per_group=1)
    assert first.total == 4 and len(first.groups) == 1 and len(first.groups[0].members) == 1
    assert first.groups[0].more == first.groups[0].references - 1
    rest = shared_referee_contacts(world.own.region, offset=1, limit=10)
    assert len(rest.groups) == 3 and first.groups[0].value not in {g.value for g in rest.groups}


def test_version_3_checks_and_normalises_the_referees_contacts(db):
    v3 = current_template()
    assert v3.version == 3 and ReferenceTemplate.objects.filter(version__in=[1, 2]).count() == 2
    answers = clean_answers(v3, {**GOOD_ANSWERS, "referee_email": " Rita@Camden.Example.TEST ", "referee_phone": ""})
    assert answers["referee_email"] == "rita@camden.example.test" and "referee_phone" not in answers
    assert "referee_contact" not in answers  # version 2's free-text answer is no longer asked
    with pytest.raises(AnswersInvalid) as refused:
        clean_answers(v3, {**GOOD_ANSWERS, "referee_email": "not an email", "referee_phone": "call me"})
    assert set(refused.value.errors) == {"referee_email", "referee_phone"}
    with pytest.raises(AnswersInvalid) as missing:
        clean_answers(v3, {**GOOD_ANSWERS, "referee_email": ""})
    assert set(missing.value.errors) == {"referee_email"}
    with pytest.raises(AnswersInvalid):
        clean_answers(v3, {**GOOD_ANSWERS, "referee_phone": "1" * 40})
    assert phone_key("+44 20 7946 0000") == phone_key("020-7946-0000") == phone_key("0044 20 7946 0000")
    assert phone_key("") == "" and phone_key(None) == ""


def test_a_completed_reference_keeps_its_contacts_normalised_with_the_candidates_own(world):
    side = world.own
    made = services.request_reference(
        agency=side.agency,
        borough=side.borough,
        by=side.users[Role.AGENCY_USER],
        registration_number="SW4242",
        candidate_name="Cam Candidate",
        candidate_email="Cam@Home.test",
        candidate_phone="+44 7700 900456",
    )
    assert (made.candidate_email, made.candidate_phone) == ("cam@home.test", "+44 7700 900456")
    reference = services.complete_reference(request=made, by=side.users[Role.BOROUGH_APPROVER], answers=GOOD_ANSWERS)
    assert (reference.referee_email, reference.referee_phone) == ("rita.referee@camden.example.test", "02079460001")
    assert (reference.candidate_email, reference.candidate_phone) == ("cam@home.test", "07700900456")
    with pytest.raises(services.ReferenceError, match="candidate's email"):
        services.request_reference(
            agency=side.agency,
            borough=side.borough,
            by=side.users[Role.AGENCY_USER],
            registration_number="SW4243",
            candidate_name="Bad Email",
            candidate_email="nope",
        )


def test_the_api_refuses_a_candidate_contact_the_form_refuses(world, client_for):
    agency = client_for(world.own.users[Role.AGENCY_USER])
    body = {"borough": world.own.borough.gss_code, "registration_number": "SW77", "candidate_name": "Ana Api"}
    bad = agency.post(
        reverse("api-reference-requests"), {**body, "candidate_phone": "ring me"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "phone number" in str(bad.json())
    good = agency.post(
        reverse("api-reference-requests"), {**body, "candidate_email": "Ana@Api.test"}, content_type="application/json"
    )
    assert good.status_code == 201 and good.json()["candidate_email"] == "ana@api.test"
    form = agency.post(
        reverse("references:request-create"), {**body, "borough": world.own.borough.pk, "candidate_phone": "ring me"}
    )
    assert form.status_code == 400 and "phone number" in form.content.decode()


def _url(world, region=None):
    return reverse("references:shared-contacts", kwargs={"pk": (region or world.own.region).pk})


def test_the_regions_analyst_sees_the_groups_without_the_references_content_and_it_is_audited(world, client_for):
    made = _world(world)
    response = client_for(world.own.users[Role.REGIONAL_ANALYST]).get(_url(world))
    assert response.status_code == 200
    page = response.content.decode()
    assert "pat@b1.test" in page and "02079460000" in page and "self@mail.test" in page
    assert "same@b2.test" not in page and "diff1@b.test" not in page and "SW6" not in page
    assert "Candidate SW1" not in page  # no candidate names
    assert reverse("references:reference-detail", args=[made["r1"].pk]) not in page  # the region may not read it
    listed = AuditEvent.objects.filter(action="reference.listed_as_shared_contact")
    expected = {made[k].pk for k in ("r1", "r2", "r3", "r5", "r11", "r12")}
    assert {int(e.target_id) for e in listed} == expected and listed.count() == len(expected)
    assert {e.organisation_id for e in listed} == {world.own.region.organisation_id}
    assert "reference.listed_as_shared_contact" in {e.action for e in reference_history(made["r1"])}
    assert not AuditEvent.objects.filter(target_id=str(made["r4a"].pk), action__startswith="reference.listed").exists()


def test_only_the_regions_analysts_see_it(world, client_for):
    _world(world)
    assert client_for(world.own.users[Role.STEERING_MEMBER]).get(_url(world)).status_code == 403
    assert client_for(world.own.users[Role.BOROUGH_APPROVER]).get(_url(world)).status_code == 403
    assert client_for(world.own.users[Role.AGENCY_USER]).get(_url(world)).status_code == 403
    assert client_for(world.other.users[Role.REGIONAL_ANALYST]).get(_url(world)).status_code == 404
    assert not AuditEvent.objects.filter(action="reference.listed_as_shared_contact").exists()
    # A platform admin may read references, so each is linked.
    admin_page = client_for(world.platform_admin).get(_url(world)).content.decode()
    assert reverse("references:reference-detail", args=[Reference.objects.get(registration_number="SW1").pk]) in (
        admin_page
    )


def test_a_reference_on_an_earlier_version_has_no_contacts_to_compare(world):
    """Version 2 asked one free-text "email or phone": it is not read as a contact."""
    side = world.own
    _reference(side, side.borough, "SW1", email="pat@b1.test")
    old = _reference(side, side.borough, "SW98")
    old.template = ReferenceTemplate.objects.get(version=2)
    old.answers = {"referee_contact": "pat@b1.test"}
    old.save()
    assert contact_columns(old.answers)["referee_email"] == ""
    assert shared_referee_contacts(side.region).total == 0
