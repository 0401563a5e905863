"""`dossier verify`: replay every profile's change events and compare with the stored profile."""

from django.core.management.base import BaseCommand

from dossier.activity.replay import verify_profiles


class Command(BaseCommand):
    help = "Check that every profile's events rebuild it exactly; exit 1 listing those that do not."

    def handle(self, *args, **options):
        bad = 0
        for profile_id, fields in verify_profiles():
            bad += 1
            self.stdout.write(f"{profile_id}: differs in {', '.join(fields)}")
        if bad:
            self.stderr.write(f"{bad} profile(s) differ from their events.")
            raise SystemExit(1)
        self.stdout.write("All profiles match their events.")
