"""Django admin for platform admins: organisations, users and memberships. API tokens have no admin, and
two-factor authenticators are listed without their secrets."""

from allauth.mfa.admin import AuthenticatorAdmin as AllauthAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .models import Invitation, Membership, Organisation, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["organisation"]
    readonly_fields = ["invited_by", "created_at"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser", "last_login"]
    list_filter = ["is_active", "is_superuser", "memberships__role"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()


class OrganisationMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["invited_by", "created_at"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "slug", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OrganisationMembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent from the organisation's members page, which emails the link."""

    list_display = ["email", "organisation", "role", "status", "created_at", "expires_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(AllauthAuthenticatorAdmin):
    """Who has two-factor sign-in, never its secret: allauth's own admin shows (and lets anyone edit) the
    ``data`` that holds it. A platform admin may delete one to let someone set up a new app."""

    fields = ["user", "type", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
