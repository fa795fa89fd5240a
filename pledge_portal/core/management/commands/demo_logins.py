from django.core.management.base import BaseCommand

from pledge_portal.accounts.roles import TWO_FACTOR_ROLES, Role
from pledge_portal.core.demo import DEMO_PASSWORD, demo_users


class Command(BaseCommand):
    help = "Print the demo sign-ins for every role."

    def handle(self, *args, **options):
        out = self.stdout
        out.write("")
        out.write("London Pledge portal: http://127.0.0.1:8000")
        out.write(f"Demo sign-ins (password for all: {DEMO_PASSWORD})")
        out.write("")
        for user in demo_users():
            flag = "  * two-factor" if user.role in TWO_FACTOR_ROLES else ""
            out.write(f"  {Role(user.role).label:<32} {user.email}{flag}")
        out.write("")
        out.write("* These roles sign in with a code from an authenticator app. For the demo users, get the")
        out.write("  current code in another terminal with:  make code EMAIL=<address>")
        out.write("")
