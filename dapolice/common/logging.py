"""Log records carry the request id so a log line can be joined to the audit trail."""

import logging

from dapolice.common import context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        record.request_id = ctx.request_id if ctx else "-"
        return True
