"""`dossier events tail`: follow the change feed on the terminal, one JSON line per event."""

import sys
import time

import orjson
from django.core.management.base import BaseCommand, CommandError

from dossier.activity import outbox
from dossier.activity.serializers import event_json


class Command(BaseCommand):
    help = "Follow the change feed: every profile's events in commit order, as JSON lines."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        tail = sub.add_parser("tail", help="print events as they commit (from now on, unless told where to start)")
        start = tail.add_mutually_exclusive_group()
        start.add_argument("--after", help="start after this cursor (a nextCursor of the API, or one this command printed)")
        start.add_argument("--from-start", action="store_true", help="start at the first event ever recorded")
        tail.add_argument("--types", default="", help="comma-separated event types (all by default)")
        tail.add_argument("--once", action="store_true", help="print what there is and exit instead of following")
        tail.add_argument("--interval", type=float, default=0.5, help="seconds between polls when caught up")

    def handle(self, *args, **options):
        if options["after"]:
            try:
                position = outbox.Position.parse(options["after"])
            except ValueError as exc:
                raise CommandError(f"--after: {exc}") from None
        else:
            position = outbox.Position() if options["from_start"] else outbox.end_of_stream(outbox.horizon())
        types = [t.strip() for t in options["types"].split(",") if t.strip()]
        try:
            while True:
                events, position = outbox.events_after(position, types=types, limit=500)
                for event in events:
                    line = {"cursor": outbox.Position(event.tx, event.id).token(), **event_json(event)}
                    sys.stdout.write(orjson.dumps(line).decode() + "\n")
                sys.stdout.flush()
                if not events:
                    if options["once"]:
                        return
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            return
