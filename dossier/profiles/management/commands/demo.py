"""`dossier demo`: load the demo data set."""

from django.core.management.base import BaseCommand

from dossier.profiles.demo import load_demo


class Command(BaseCommand):
    help = "Load a realistic demo data set (profiles, companies, tags, custom attributes, activity)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=3000)

    def handle(self, *args, **options):
        created = load_demo(options["count"])
        self.stdout.write(f"Loaded {created} demo profiles.")
