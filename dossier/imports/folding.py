"""Rows of one file that name the same profile become one write (SPEC §6).

The rows are folded in file order: a later non-empty cell wins, tags add up. The write takes the
place of the last of them, so a profile gets one event per import and a re-run of the unchanged
file finds nothing to change. A rejected row takes no part; the others are reported as folded,
each with the values it had left out.
"""

from typing import Any

from dossier.profiles.changes import WriteItem, WriteResult
from dossier.profiles.writes import UNSET, ProfileWrite

FOLDED = "folded"


def fold(group: list[WriteItem]) -> tuple[WriteItem | None, list[WriteResult]]:
    """(the one write of a group of rows naming one profile, in file order, or None when every row
    was rejected; the results of the rows folded into it or rejected)."""
    valid = [item for item in group if not item.errors]
    results = [WriteResult(item.index, "rejected", errors=item.errors, http_status=422) for item in group if item.errors]
    if not valid:
        return None, results
    last = valid[-1]
    write = ProfileWrite(columns={}, attributes={}, agreements={}, add_tags=set())
    for item in valid:
        _fold_into(write, item.write)
    results += [WriteResult(item.index, FOLDED, id=None, warnings=item.warnings) for item in valid[:-1]]
    return WriteItem(last.index, last.identity, write, create=last.create, policies=last.policies,
                     skip_invalid_values=last.skip_invalid_values, warnings=list(last.warnings)), results


def split_unrelated(group: list[WriteItem]) -> tuple[list[WriteItem], list[WriteItem]]:
    """(the rows that name the group's profile, the others): rows are grouped by a hash of their
    identifier, so two different identifiers could share a group."""
    valid = [item for item in group if not item.errors]
    if not valid:
        return group, []
    identity = valid[-1].identity
    same = [item for item in group if item.errors or item.identity == identity]
    return same, [item for item in group if not item.errors and item.identity != identity]


def _fold_into(write: ProfileWrite, later: ProfileWrite) -> None:
    for folded, values in ((write.columns, later.columns), (write.attributes, later.attributes),
                           (write.agreements, later.agreements)):
        for key, value in values.items():
            if value is not None or key not in folded:  # a later empty cell (cleared) never undoes a value
                folded[key] = value
    write.add_tags |= later.add_tags
    write.company_id = _later(write.company_id, later.company_id)
    write.company_name = _later(write.company_name, later.company_name)
    if later.company_name is not UNSET:
        write.company_id = UNSET
    elif later.company_id not in (UNSET, None):
        write.company_name = UNSET
    if later.national_phone is not None or later.columns.get("phone") is not None:
        write.national_phone = later.national_phone


def _later(current: Any, later: Any) -> Any:
    if later is UNSET or (later is None and current is not UNSET):
        return current
    return later
