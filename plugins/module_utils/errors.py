# -*- coding: utf-8 -*-
# Copyright (c) tickstack.influx contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one error root of the collection.

Every failure the collection's Python raises on purpose is a :class:`TickstackError`: an API call
that failed or answered something unusable (``http_client.ApiError`` and its subclasses), input that
cannot work (:class:`InvalidInput`), a TICKscript that cannot be read (``tickscript.TickscriptError``)
and a multi-step operation that failed midway (:class:`OperationFailed`). The module runner catches
this root and nothing narrower, so every module fails the same way, with the same fields.
"""

from __future__ import annotations


class TickstackError(Exception):
    """Root of every error the collection raises on purpose.

    ``msg`` is ready for the user. :meth:`details` returns extra ``fail_json`` fields (for example
    the HTTP status and URL of the call behind it); subclasses extend it.
    """

    def __init__(self, msg, cause=None):
        super(TickstackError, self).__init__(msg)
        self.msg = msg
        self.cause = cause

    def __str__(self):
        return self.msg

    def details(self):
        cause = self.cause
        if isinstance(cause, TickstackError) and cause is not self:
            return cause.details()
        return {}


class InvalidInput(TickstackError, ValueError):
    """The input cannot work; the message names the option (or model entry) and the fix."""


class OperationFailed(TickstackError):
    """A change failed midway; the message says what was done, undone or left behind."""
