"""Receiving uploaded files: spooled to the data disk, and a full disk refused cleanly.

Django parses a multipart body lazily, at the first read of `request.POST` or `request.FILES`;
for a browser form that is the CSRF check, in a middleware, before any view runs. An `OSError`
raised while spooling the file there would be a 500 that no view could turn into an answer. So
the handler below catches a full disk itself: it deletes what it had written, skips the file and
remembers why, and `uploaded_file` tells the view, which answers 507 Insufficient Storage.
"""

import errno
from pathlib import Path

from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

# A size limit on files (RLIMIT_FSIZE: EFBIG) or a quota (EDQUOT) is a full disk for this upload.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class NoSpaceLeft(Exception):
    """An uploaded file could not be kept: the disk is full. Nothing of it is left behind."""

    def __init__(self, name: str):
        super().__init__(f"there is no space left on the server's disk to keep {name}; nothing was imported."
                         " Try again once space has been freed.")
        self.name = name


def is_disk_full(error: OSError) -> bool:
    return error.errno in DISK_FULL


def uploaded_file(request, field: str):
    """The request's file `field`, or None when none was sent; NoSpaceLeft when the disk was too
    full to receive it."""
    upload = request.FILES.get(field)
    for handler in request.upload_handlers:
        if getattr(handler, "refused_name", None) is not None:
            raise NoSpaceLeft(handler.refused_name)
    return upload


class SpaceAwareUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for files too large to hold in memory (spooled to FILE_UPLOAD_TEMP_DIR),
    which drops the file instead of failing the whole request when the disk fills up."""

    refused_name: str | None = None

    def new_file(self, *args, **kwargs):
        try:
            super().new_file(*args, **kwargs)
        except OSError as exc:
            self._refuse(exc)
            raise SkipFile from exc

    def receive_data_chunk(self, raw_data, start):
        try:
            self.file.write(raw_data)
        except OSError as exc:
            self._refuse(exc)
            raise SkipFile from exc

    def file_complete(self, file_size):
        # The parser calls this outside the block where it handles SkipFile: a refused file is
        # answered with None (no file), never an exception.
        try:
            self.file.flush()  # the last buffered bytes reach the disk here, not in a later read
        except OSError as exc:
            self._refuse(exc)
            return None
        return super().file_complete(file_size)

    def _refuse(self, error: OSError) -> None:
        if not is_disk_full(error):
            raise error
        self.refused_name = self.file_name or "the file"
        spool = self.__dict__.pop("file", None)  # the parser closes the `file` of each handler: not this one
        if spool is None:
            return
        path = spool.temporary_file_path()
        try:
            spool.close()  # flushing its buffer fails again on a full disk; the file is deleted all the same
        except OSError:
            pass
        Path(path).unlink(missing_ok=True)
