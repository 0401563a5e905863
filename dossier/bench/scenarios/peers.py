"""Peer rows (`make bench PEERS=1`): the import-new file imported by a tool users would pick
instead of Dossier, into the same database, beside the same ceiling.

`import-new-peer` imports it with django-import-export (installed only by the `peers` extra) in
the bulk mode its documentation recommends for speed: `use_bulk` with Dossier's chunk size,
`force_init_instance` (no lookup per row; every row is new) and `skip_diff`. It reads the file
into a tablib Dataset as that tool does, maps the same 9 columns onto the profile table, and
writes what `bulk_create` writes. It records no change history and keeps no consent records, so
its rate is a rate without events, and its ceiling is the bare insert of the rows alone (the
import-new row beside it writes, and its ceiling counts, one `profile.created` event per row). Without the extra, or without
BENCH_PEERS=1, the scenario is not registered and the table has no peer rows.
"""

import os
import time
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from dossier.bench import measure
from dossier.bench.ceilings import clone_profile_table, drop_table
from dossier.bench.registry import BenchContext, Measurement, scenario
from dossier.bench.scenarios.imports import HEADER, bare_inserts, bare_rows, write_file
from dossier.imports.services import CHUNK_ROWS

PEERS_ENV = "BENCH_PEERS"


def peer_resource():
    """django-import-export's resource for the import-new file's columns (imported late: the
    package exists only where the `peers` extra is installed)."""
    from import_export import fields, resources, widgets

    from dossier.profiles.models import Profile

    class LoyaltyWidget(widgets.IntegerWidget):
        def clean(self, value, row=None, **kwargs):
            return {"loyalty": super().clean(value, row, **kwargs)}

    class PeerProfileResource(resources.ModelResource):
        loyalty = fields.Field(attribute="attributes", column_name="loyalty", widget=LoyaltyWidget())

        def init_instance(self, row=None):  # the times Dossier's change service would stamp
            now = timezone.now()
            return Profile(created_at=now, updated_at=now, anonymous_type="recognized")

        class Meta:
            model = Profile
            fields = (*(column for column in HEADER if column != "loyalty"), "loyalty")
            import_id_fields = ("email",)
            use_bulk = True
            batch_size = CHUNK_ROWS
            force_init_instance = True
            skip_diff = True
            skip_unchanged = False
            report_skipped = False

    return PeerProfileResource()


def _import_with_peer(path: Path) -> tuple[float, int]:
    import tablib

    started = time.perf_counter()
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format="csv")
    with transaction.atomic():
        result = peer_resource().import_data(dataset, dry_run=False, raise_errors=True, use_transactions=False)
    seconds = time.perf_counter() - started
    return seconds, result.totals.get("new", 0)


if os.environ.get(PEERS_ENV) == "1":
    @scenario("import-new-peer")
    def import_new_peer(ctx: BenchContext) -> Measurement:
        """The import-new file through django-import-export's bulk mode, beside the bare inserts."""
        from importlib.metadata import version

        rows = ctx.size(1_000_000)
        path = Path(ctx.work_dir) / "people.csv"
        write_file(path, rows)
        table = clone_profile_table()
        ceiling_seconds = bare_inserts(table, bare_rows(path))
        drop_table(table)
        memory_before = measure.peak_memory_mb()
        seconds, created = _import_with_peer(path)
        if created != rows:
            raise RuntimeError(f"expected {rows} profiles created by the peer, got {created}")
        value, ceiling = measure.rate(rows, seconds), measure.rate(rows, ceiling_seconds)
        return Measurement(
            scenario="import-new-peer", database=ctx.database, size=rows, seconds=round(seconds, 3), rate=value,
            unit="rows/s", ceiling=ceiling, ratio=measure.ratio(value, ceiling), peakMemoryMB=measure.peak_memory_mb(),
            target=None, notes={
                "peer": f"django-import-export {version('django-import-export')}",
                "mode": "use_bulk, force_init_instance, skip_diff, batch_size " + str(CHUNK_ROWS),
                "events": "none: the peer keeps no change history",
                "peakMemoryMBBeforeImport": memory_before,
            })
