"""The policy's tests run in the tenancy walk's world: one of everything a URL can name, on two sides."""

from tests.test_tenancy import _walk_world_once, walk_world  # noqa: F401
