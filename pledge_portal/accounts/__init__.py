"""Identity: the custom user, organisations (the tenants), roles, memberships and invitations."""
