"""The directory of authorities is public data, shown to anyone signed in."""

from pledge_portal.access import Action, declare

declare(Action("borough.directory", "Read the directory of authorities and their codes.", signed_in=True))
