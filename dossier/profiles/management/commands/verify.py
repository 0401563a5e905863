"""`dossier verify`: replay every profile's change events, compare with the stored profile, and
check that the events chain (see dossier.activity.replay)."""

from django.core.management.base import BaseCommand

from dossier.activity.replay import verify_profiles


class Command(BaseCommand):
    help = ("Check that every profile's events rebuild it exactly and follow on from one another "
            "(each change's old value is the previous new one, one event per version); "
            "exit 1 listing the profiles where they do not.")

    def handle(self, *args, **options):
        differing = broken = 0
        for check in verify_profiles():
            if check.differences:
                differing += 1
                self.stdout.write(f"{check.profile_id}: differs in {', '.join(check.differences)}")
            if check.breaks:
                broken += 1
                for problem in check.breaks:
                    self.stdout.write(f"{check.profile_id}: chain break: {problem}")
        if differing or broken:
            self.stderr.write(f"{differing} profile(s) differ from their events; "
                              f"{broken} profile(s) have a broken change chain.")
            raise SystemExit(1)
        self.stdout.write("All profiles match their events, and every change chain is unbroken.")
