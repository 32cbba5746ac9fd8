"""Typed identifiers, so a user id cannot be passed where an approval id is meant."""

from __future__ import annotations

from typing import NewType

__all__ = ["ApprovalId", "EventId", "SessionToken", "UserId"]

UserId = NewType("UserId", int)
ApprovalId = NewType("ApprovalId", int)
EventId = NewType("EventId", int)
SessionToken = NewType("SessionToken", str)
