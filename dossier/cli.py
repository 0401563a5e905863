"""The `dossier` command: every operator task is a Django management command of one of the apps.

`dossier run`, `dossier worker`, `dossier import FILE`, `dossier apikey create NAME`, ... are
`django-admin` with Dossier's settings, so the commands live beside the code they drive.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dossier.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dossier", *sys.argv[1:]])


if __name__ == "__main__":
    main()
