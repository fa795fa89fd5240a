"""The region's page of shared referee contacts (``references.shared_contacts``): its analysts only, showing
what identifies each reference and never its content; every reference listed is audited in its history."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core.tables import Column, Table

from . import selectors, services
from .models import Reference
from .shared_contacts import GROUPS_SHOWN, MEMBERS_SHOWN, shared_referee_contacts


class _Groups:
    """The region's contact groups as the paginator reads them: a count, then one page fetched per slice."""

    def __init__(self, region):
        self.region = region
        self.first = shared_referee_contacts(region, limit=GROUPS_SHOWN)

    def count(self) -> int:
        return self.first.total

    def __getitem__(self, part: slice):
        if part.start == 0 and part.stop - part.start == GROUPS_SHOWN:
            return self.first.groups
        return shared_referee_contacts(self.region, offset=part.start, limit=part.stop - part.start).groups


COLUMNS = [
    Column("Reference"),
    Column("Registration number"),
    Column("The contact is"),
    Column("Issuing borough"),
    Column("Agency"),
    Column("Written", "date"),
    Column("How"),
    Column("Template version"),
]


class SharedContactsView(ActionRequiredMixin, View):
    action_required = "referee_contacts.read"
    template_name = "references/shared_contacts.html"

    def get(self, request, pk):
        region = get_visible_or_404(selectors.regions_for_shared_contacts, request.user, pk=pk)
        page = Paginator(_Groups(region), GROUPS_SHOWN).get_page(request.GET.get("page"))
        groups = list(page.object_list)
        ids = {m.reference_id for g in groups for m in g.members}
        readable = set(selectors.references_visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))
        tables = [(group, self.table(group, readable)) for group in groups]
        services.record_shared_contacts_listing(
            references=Reference.objects.filter(pk__in=ids).only("pk", "registration_number").order_by("pk"),
            region=region,
            by=request.user,
            request=request,
        )
        context = {
            "region": region,
            "groups": tables,
            "page_obj": page,
            "total": page.paginator.count,
            "members_shown": MEMBERS_SHOWN,
        }
        return render(request, self.template_name, context)

    @staticmethod
    def table(group, readable: set[int]) -> Table:
        """A group's references; a reference links to itself only for those who may read it."""
        rows, links = [], []
        for m in group.members:
            rows.append(
                [
                    f"Reference {m.reference_id}",
                    m.registration_number,
                    m.part_label,
                    m.borough,
                    m.agency,
                    m.written.date() if m.written else None,
                    m.source,
                    m.template_version,
                ]
            )
            links.append(
                reverse("references:reference-detail", args=[m.reference_id]) if m.reference_id in readable else None
            )
        more = f" and {group.more} more not listed here" if group.more else ""
        return Table(
            f"{group.kind_label} {group.value}: {group.references} references{more}",
            COLUMNS,
            rows,
            links=links,
        )
