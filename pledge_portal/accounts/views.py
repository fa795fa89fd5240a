"""Team management, invitations and the user's own account page."""

from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import ListView, TemplateView

from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404

from . import selectors, services
from .forms import AcceptInvitationForm, InviteMemberForm
from .roles import ROLE_DESCRIPTIONS


class OrganisationListView(ActionRequiredMixin, ListView):
    """The organisations whose members the user manages."""

    action_required = "organisation.manage_members"
    template_name = "accounts/organisation_list.html"
    context_object_name = "organisations"
    paginate_by = 50

    def get_queryset(self):
        qs = selectors.organisations_managed_by(self.request.user)
        if kind := self.request.GET.get("kind"):
            qs = qs.filter(kind=kind)
        return qs

    def get(self, request, *args, **kwargs):
        managed = list(selectors.organisations_managed_by(request.user)[:2])
        if len(managed) == 1:  # most admins manage exactly one organisation: go straight to it
            return redirect("accounts:members", slug=managed[0].slug)
        return super().get(request, *args, **kwargs)


class MembersView(ActionRequiredMixin, View):
    """An organisation's members and pending invitations, with the form to invite someone."""

    action_required = "organisation.manage_members"
    template_name = "accounts/members.html"

    @cached_property
    def organisation(self):
        return get_visible_or_404(selectors.organisations_managed_by, self.request.user, slug=self.kwargs["slug"])

    def render_page(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "organisation": self.organisation,
                "members": selectors.members_of(self.organisation),
                "invitations": selectors.pending_invitations_for(self.organisation),
                "form": form,
            },
            status=status,
        )

    def get(self, request, slug):
        return self.render_page(InviteMemberForm(organisation=self.organisation))

    def post(self, request, slug):
        form = InviteMemberForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                invitation, _ = services.invite_member(
                    organisation=self.organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    by=request.user,
                )
            except services.MembershipError as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("accounts:members", slug=slug)
        return self.render_page(form, status=400)


class RemoveMemberView(MembersView):
    template_name = "accounts/member_remove.html"

    def get_membership(self, pk):
        return get_object_or_404(selectors.members_of(self.organisation), pk=pk)

    def get(self, request, slug, pk):
        return render(
            request, self.template_name, {"organisation": self.organisation, "membership": self.get_membership(pk)}
        )

    def post(self, request, slug, pk):
        membership = self.get_membership(pk)
        try:
            services.remove_member(membership=membership, by=request.user)
        except services.MembershipError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{membership.user} no longer has the role {membership.get_role_display()}.")
        return redirect("accounts:members", slug=slug)


class RevokeInvitationView(MembersView):
    http_method_names = ["post"]

    def post(self, request, slug, pk):
        invitation = get_object_or_404(selectors.pending_invitations_for(self.organisation), pk=pk)
        services.revoke_invitation(invitation=invitation, by=request.user)
        messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
        return redirect("accounts:members", slug=slug)


class InvitationView(ActionRequiredMixin, View):
    """The page an invitation link opens: create an account, or add the role to the signed-in account."""

    action_required = "invitation.accept"
    template_name = "accounts/invitation.html"

    def dispatch(self, request, *args, **kwargs):
        self.invitation = selectors.invitation_by_token(kwargs["token"])
        if self.invitation is None:
            return render(request, "accounts/invitation_invalid.html", status=404)
        return super().dispatch(request, *args, **kwargs)

    def render_page(self, form=None, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "invitation": self.invitation,
                "form": form,
                "role_description": ROLE_DESCRIPTIONS.get(self.invitation.role, ""),
                "account_exists": self._account_exists(),
            },
            status=status,
        )

    def _account_exists(self) -> bool:
        from .models import User

        return User.objects.filter(email__iexact=self.invitation.email).exists()

    def get(self, request, token):
        if self.invitation.status != "pending":
            return self.render_page(status=410)
        form = None if self._account_exists() else AcceptInvitationForm(email=self.invitation.email)
        return self.render_page(form)

    def post(self, request, token):
        if self.invitation.status != "pending":
            return self.render_page(status=410)
        if self._account_exists():
            if not request.user.is_authenticated:
                return redirect(f"{reverse('account_login')}?next={request.path}")
            try:
                services.accept_invitation(invitation=self.invitation, user=request.user)
            except services.MembershipError as exc:
                messages.error(request, str(exc))
                return self.render_page(status=400)
            messages.success(request, f"You have joined {self.invitation.organisation}.")
            return redirect("home")
        form = AcceptInvitationForm(request.POST, email=self.invitation.email)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            user = services.accept_invitation(
                invitation=self.invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except services.MembershipError as exc:
            form.add_error(None, str(exc))
            return self.render_page(form, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome to the London Pledge portal. You have joined {self.invitation.organisation}."
        )
        return redirect("home")


class AccountView(ActionRequiredMixin, TemplateView):
    """The signed-in user's own account: roles, password, two-factor and API token."""

    action_required = "account.use"
    template_name = "accounts/account.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        from allauth.mfa.models import Authenticator

        return super().get_context_data(
            memberships=user.active_memberships,
            has_totp=Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
            token=selectors.latest_api_token(user),
            api_token_days=settings.API_TOKEN_DAYS,
            new_token=self.request.session.pop("new_api_token", None),
            **kwargs,
        )


class ApiTokenView(ActionRequiredMixin, View):
    """Create (or replace) and revoke the user's API token. The key is shown once, then only its existence."""

    action_required = "account.use"
    http_method_names = ["post"]

    def post(self, request):
        if request.POST.get("action") == "revoke":
            services.revoke_api_token(user=request.user)
            messages.success(request, "Your API token was revoked.")
            return redirect("accounts:account")
        try:
            request.session["new_api_token"] = services.create_api_token(user=request.user)
        except services.MembershipError as exc:
            raise PermissionDenied(str(exc)) from exc
        return redirect("accounts:account")


class RevokeMemberTokenView(RemoveMemberView):
    """An organisation's admin stops a member's API token (say, when a laptop is lost)."""

    http_method_names = ["post"]

    def post(self, request, slug, pk):
        membership = self.get_membership(pk)
        if services.revoke_member_api_token(membership=membership, by=request.user):
            messages.success(request, f"The API token of {membership.user} was revoked.")
        else:
            messages.info(request, f"{membership.user} has no API token.")
        return redirect("accounts:members", slug=slug)
