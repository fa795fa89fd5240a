"""Who may do what with reference requests, references and proposals. Each action is declared once, here.

Access is narrow by design (DESIGN.md section 5): the issuing borough, the requesting or uploading agency,
and boroughs the agency has proposed the candidate to. Not other agencies, not other boroughs, not the
region: the region's analysts see only which references share a referee's contact (``referee_contacts.read``),
never their content. An MSP reports a borough's assignments; it does not read the borough's references.
"""

from django.db.models import Exists, OuterRef, Q

from pledge_portal.access import ADMIN_EVERYWHERE, ALL, Action, Custom, declare, grant
from pledge_portal.access.roles import AGENCY, ANALYST, BOROUGH


def _proposed_q(user, organisation_ids: set[int]) -> Q:
    from .models import Proposal

    proposed = Proposal.objects.filter(
        borough__organisation_id__in=organisation_ids,
        agency_id=OuterRef("agency_id"),
        registration_number=OuterRef("registration_number"),
    )
    return Q(Exists(proposed))


def _proposed_to(user, reference, organisation_ids: set[int]) -> set[int]:
    from .models import Proposal

    return set(
        Proposal.objects.filter(
            borough__organisation_id__in=organisation_ids,
            agency_id=reference.agency_id,
            registration_number=reference.registration_number,
        ).values_list("borough__organisation_id", flat=True)
    )


PROPOSED_TO = Custom(filter=_proposed_q, test=_proposed_to)
PARTIES = (grant(BOROUGH, "borough__organisation"), grant(AGENCY, "agency__organisation"), ADMIN_EVERYWHERE)

declare(
    Action(
        "reference_request.read", "Read a reference request: the borough asked and the agency asking.", grants=PARTIES
    ),
    Action(
        "reference_request.make",
        "Ask a borough for a reference, for one's agency.",
        grants=(grant(AGENCY, "organisation"),),
        refusal="Only users of {obj} can do this.",
    ),
    Action(
        "reference_request.answer",
        "Write the reference asked for, or decline the request, for one's borough.",
        grants=(grant(BOROUGH, "borough__organisation"),),
        refusal="Only users of {obj.borough} can answer this request.",
    ),
    Action(
        "reference_request.cancel",
        "Cancel a request one's agency made.",
        grants=(grant(AGENCY, "agency__organisation"),),
        refusal="Only users of {obj.agency} can cancel this request.",
    ),
    Action(
        "reference.read",
        "Read and download a reference.",
        grants=(
            grant(BOROUGH, "issuing_borough__organisation"),
            grant(AGENCY, "agency__organisation"),
            grant(BOROUGH, PROPOSED_TO),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "reference.read_history",
        "See who has read a reference: its issuing borough and its agency.",
        grants=(
            grant(BOROUGH, "issuing_borough__organisation"),
            grant(AGENCY, "agency__organisation"),
            ADMIN_EVERYWHERE,
        ),
    ),
    Action(
        "reference.upload",
        "Upload a reference one's agency holds.",
        grants=(grant(AGENCY, "organisation"),),
        refusal="Only users of {obj} can do this.",
    ),
    Action("proposal.read", "See candidates proposed to a borough, or by an agency.", grants=PARTIES),
    Action(
        "proposal.make",
        "Propose a candidate to a borough, for one's agency.",
        grants=(grant(AGENCY, "organisation"),),
        refusal="Only users of {obj} can do this.",
    ),
    Action("reference_template.read", "Read the published versions of the shared reference template.", signed_in=True),
    Action(
        "reference_template.draft",
        "Draft, preview and publish a new version of the shared reference template (it serves every region).",
        grants=(grant(ANALYST, ALL), ADMIN_EVERYWHERE),
        refusal="Only regional analysts can change the reference template.",
    ),
    Action(
        "referee_contacts.read",
        "See the region's references that share a referee's contact across candidates (or with a candidate): its "
        "regional analysts. They see what identifies each reference, never its content, and each listing is "
        "audited in the reference's history.",
        grants=(grant(ANALYST, "organisation"), ADMIN_EVERYWHERE),
    ),
    Action(
        "cool_off.check",
        "An agency checks whether a candidate's cool-off lets them start in a borough on a date, before proposing.",
        grants=(grant(AGENCY, ALL), ADMIN_EVERYWHERE),
    ),
)
