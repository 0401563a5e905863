"""Keep personal data out of the logs.

Django logs every 4xx and 5xx response at WARNING or ERROR with the request's path, and a path
such as `/api/v1/profiles/by-email/anna@example.com` names a person. `RedactPersonalData` rewrites
such records before any handler sees them: the identifier segments of lookup paths and anything
shaped like an email address are replaced.
"""

import logging
import re

LOOKUP_SEGMENT = re.compile(r"(/by-(?:email|custom-id)/)[^\s\"']+")
EMAIL = re.compile(r"[^\s\"'/<>@]+@[^\s\"'/<>@]+")


def redact(text: str) -> str:
    return EMAIL.sub("[email]", LOOKUP_SEGMENT.sub(r"\1[redacted]", text))


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
