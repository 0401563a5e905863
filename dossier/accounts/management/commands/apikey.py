"""`dossier apikey create|list|revoke`."""

from django.core.management.base import BaseCommand, CommandError

from dossier.accounts.models import SCOPES, ApiKey
from dossier.accounts.services import do_create_api_key, do_revoke_api_key


class Command(BaseCommand):
    help = "Create, list or revoke API keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key; it is printed once, on the last line")
        create.add_argument("name")
        create.add_argument("--scopes", default="profiles:read,profiles:write",
                            help=f"comma-separated, from: {', '.join(SCOPES)}")
        sub.add_parser("list", help="list keys (never the keys themselves)")
        revoke = sub.add_parser("revoke", help="revoke a key by name")
        revoke.add_argument("name")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "create":
            scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
            try:
                key, raw = do_create_api_key(options["name"], scopes)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Created API key {key.name!r} with scopes {', '.join(key.scopes)}. It is shown once:")
            self.stdout.write(raw)
        elif action == "list":
            for key in ApiKey.objects.all():
                state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                self.stdout.write(f"{key.name}\t{key.prefix}…\t{','.join(key.scopes)}\t{state}")
        elif action == "revoke":
            if not do_revoke_api_key(options["name"]):
                raise CommandError(f"no active API key named {options['name']!r}")
            self.stdout.write(f"Revoked {options['name']!r}.")
