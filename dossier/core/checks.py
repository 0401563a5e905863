"""Dossier's own deployment checks, run beside Django's by `dossier check --deploy`.

Django's checks see settings; these see what a settings file cannot: whether the data directory
and the database files can be read by other accounts on the machine, whether the hosts served are
open-ended, whether mail leaves the machine. Each problem says what to set.
"""

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register


def _readable_by_others(path: Path) -> bool:
    return path.exists() and bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


@register(Tags.security, deploy=True)
def check_data_files_private(app_configs, **kwargs):
    data_dir = Path(settings.DATA_DIR)
    database = settings.DATABASES["default"]
    paths = [data_dir, data_dir / "secret_key", Path(settings.MEDIA_ROOT)]
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(database["NAME"])
        paths += [name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")]
    exposed = [str(path) for path in paths if _readable_by_others(path)]
    if not exposed:
        return []
    return [Warning(f"other accounts on this machine can read {', '.join(exposed)}",
                    hint="they hold personal data, password hashes and sessions: "
                         f"chmod -R go-rwx {data_dir} (Dossier creates its files 0600 and directories 0700)",
                    id="dossier.W001")]


@register(Tags.security, deploy=True)
def check_hosts(app_configs, **kwargs):
    if "*" in settings.ALLOWED_HOSTS:
        return [Warning("DOSSIER_ALLOWED_HOSTS lets any Host header through",
                        hint="set it to the names the site is reached by, e.g. DOSSIER_ALLOWED_HOSTS=crm.example.com",
                        id="dossier.W002")]
    return []


@register(Tags.security, deploy=True)
def check_https(app_configs, **kwargs):
    problems = []
    if not settings.HTTPS:
        problems.append(Warning("DOSSIER_HTTPS is off: session cookies travel over plain HTTP, without HSTS",
                                hint="serve Dossier behind a TLS-terminating proxy that sets X-Forwarded-Proto "
                                     "and set DOSSIER_HTTPS=1 (see docs/deployment.md)",
                                id="dossier.W003"))
    if not settings.PUBLIC_URL:
        problems.append(Warning("DOSSIER_PUBLIC_URL is not set: links in mail (double opt-in confirmations) "
                                "name the host each request came in on",
                                hint="set DOSSIER_PUBLIC_URL=https://crm.example.com", id="dossier.W004"))
    return problems


@register(Tags.security, deploy=True)
def check_mail(app_configs, **kwargs):
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return [Warning(f"mail is written to files under {settings.EMAIL_FILE_PATH}, not sent: "
                        "double opt-in confirmations never reach anyone",
                        hint="set DOSSIER_EMAIL_URL=smtp://user:password@smtp.example.com:587", id="dossier.W005")]
    return []
