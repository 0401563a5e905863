"""`dossier user create NAME --role admin|editor|viewer` (password from DOSSIER_PASSWORD or a prompt)."""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dossier.accounts.models import ROLES
from dossier.accounts.services import do_create_user


class Command(BaseCommand):
    help = "Create a user of the browser UI."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("name")
        create.add_argument("--role", choices=ROLES, default="viewer")

    def handle(self, *args, **options):
        password = os.environ.get("DOSSIER_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = do_create_user(options["name"], password, options["role"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except Exception as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Created user {user.username!r} ({options['role']}).")
