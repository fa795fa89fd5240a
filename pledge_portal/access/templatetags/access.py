"""``{% can "return.sign_off" ret as may_sign %}``: templates ask the policy, never a role."""

from django import template

from pledge_portal.access import can as _can

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, obj=None) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return user is not None and _can(user, action, obj)
