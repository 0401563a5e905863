"""The Jobs pages: every job with its progress, and one job's counts, changes, errors, Cancel and Undo.

Cancel and Undo are plain form posts (they work without script); job.js only keeps the progress
of a running job live by polling the API.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from dossier.accounts.access import browser_page, may_edit
from dossier.accounts.models import ROLE_SCOPES
from dossier.core.api import ApiError, Principal
from dossier.jobs.models import Job
from dossier.jobs.services import active_undo, do_cancel_job, do_undo_job, get_job, jobs_newest_first, undo_refusal
from dossier.profiles.labels import (
    attribute_definitions,
    company_names,
    describe_change,
    describe_filters,
    label_of,
    path_labels,
    profile_names,
    value_words,
)

PAGE_SIZE = 50
COUNTERS = (("created", "Created"), ("updated", "Updated"), ("changed", "Changed"), ("unchanged", "Unchanged"),
            ("rejected", "Rejected"), ("restored", "Restored"), ("deleted", "Deleted"), ("recreated", "Re-created"),
            ("conflicts", "Conflicts"))


def _job_or_404(job_id) -> Job:
    try:
        return get_job(job_id)
    except ApiError:
        raise Http404 from None


def _principal(request) -> Principal:
    return Principal("user", request.user.get_username(), ROLE_SCOPES[request.role], request.user)


def requested_changes(job: Job, labels: dict[str, str]) -> list[tuple[str, str]]:
    """A batch edit's selection and changes in words, as (label, value) rows."""
    selection, changes = job.params.get("selection", {}), job.params.get("changes", {})
    if "filter" in selection:
        words = describe_filters(selection["filter"], labels)
        rows = [("Selection", "all profiles matching " + " and ".join(words) if words else "all profiles (no filter)")]
    else:
        count = selection.get("ids", 0)  # the job keeps the number of ids, not the ids
        rows = [("Selection", f"{count} selected profile{'s' if count != 1 else ''}")]
    rows += [(f"Set {label_of(path, labels)}", value_words(path, value)) for path, value in changes.get("set", {}).items()]
    rows += [("Clear", ", ".join(label_of(path, labels) for path in changes["clear"]))] if changes.get("clear") else []
    rows += [("Add tags", ", ".join(changes["addTags"]))] if changes.get("addTags") else []
    rows += [("Remove tags", ", ".join(changes["removeTags"]))] if changes.get("removeTags") else []
    rows += [(label_of(f"agreements.{channel}", labels), "subscribe" if value else "unsubscribe")
             for channel, value in changes.get("agreements", {}).items()]
    if "companyId" in changes:
        company = company_names([changes["companyId"]]).get(str(changes["companyId"])) if changes["companyId"] else None
        rows.append(("Company", company or ("remove" if not changes["companyId"] else str(changes["companyId"]))))
    return rows


def _counters(job: Job) -> list[tuple[str, int]]:
    return [(label, job.summary[key]) for key, label in COUNTERS if key in job.summary]


@browser_page()
def job_list(request):
    before = _job_or_404(request.GET["before"]) if request.GET.get("before") else None
    page = list(jobs_newest_first(before)[: PAGE_SIZE + 1])
    older = page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None
    return render(request, "jobs/list.html", {"nav": "jobs", "jobs": page[:PAGE_SIZE], "older": older})


@browser_page()
def job_detail(request, job_id):
    job = _job_or_404(job_id)
    can_edit = may_edit(request)
    labels = path_labels(attribute_definitions())
    sample = job.summary.get("sample", [])
    names = profile_names(s["profileId"] for s in sample)
    context = {
        "nav": "jobs",
        "job": job,
        **undo_context(job, can_edit),
        "can_edit": can_edit,
        "counters": _counters(job),
        "attributes": sorted(job.summary.get("attributes", {}).items()),
        "sample": [{"profile_id": s["profileId"], "name": names.get(str(s["profileId"]), "deleted profile"),
                    "changes": [describe_change(c, labels) for c in s["changes"]]} for s in sample],
        "error_count": job.summary.get("errorCount", len(job.errors)),
        "can_cancel": can_edit and not job.is_finished,
        "requested": requested_changes(job, labels) if job.kind == Job.Kind.BATCH_EDIT else [],
    }
    return render(request, "jobs/detail.html", context)


@require_POST
@browser_page()
def job_cancel(request, job_id):
    job = _job_or_404(job_id)
    try:
        do_cancel_job(job)
        messages.success(request, "Cancel requested: the job stops after its current chunk.")
    except ApiError as exc:
        messages.error(request, exc.message)
    return redirect("job-detail", job_id=job.id)


def undo_context(job: Job, may_undo: bool) -> dict:
    """A finished job's Undo as its page shows it (templates jobs/_undo.html): the undo that stands
    for it, by whom and when, or whether this user may undo it now. One query for both."""
    active = active_undo(job) if job.is_finished else None
    undo = None
    if active is not None:
        undo = {"id": active.id, "status": active.status, "done": active.status == Job.Status.SUCCEEDED,
                "by": active.created_by, "at": active.finished_at or active.created_at}
    return {"undo": undo, "can_undo": may_undo and undo is None and undo_refusal(job, active) is None}


def _back_to(job: Job) -> str:
    """The page a job's Undo is asked from: the import's page for an import, else the job's."""
    return reverse("import-detail", args=[job.id]) if job.kind == Job.Kind.IMPORT else reverse("job-detail", args=[job.id])


@require_http_methods(["GET", "POST"])
@browser_page()
def job_undo(request, job_id):
    """GET asks (what the undo will do, on how many profiles); POST undoes and goes back to the page
    the user came from, which then says who undid the job and when."""
    job = _job_or_404(job_id)
    if request.method == "GET":
        refusal = undo_refusal(job)
        if refusal or not may_edit(request):
            messages.error(request, f"This job cannot be undone: {refusal}." if refusal else "Your role may not undo jobs.")
            return redirect(_back_to(job))
        return render(request, "jobs/undo_confirm.html", {"nav": "imports" if job.kind == Job.Kind.IMPORT else "jobs",
                                                          "job": job, "back": _back_to(job),
                                                          "counters": _counters(job)})
    try:
        undo = do_undo_job(job, _principal(request))
    except ApiError as exc:
        messages.error(request, exc.message)
        return redirect(_back_to(job))
    messages.success(request, "Undone." if undo.status == Job.Status.SUCCEEDED else
                     f"Undo {undo.status}: the profiles are being restored in the background.")
    return redirect(_back_to(job))
