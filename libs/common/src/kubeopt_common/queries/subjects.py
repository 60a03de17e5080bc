"""Subjects of request/reply queries (core NATS: no stream, replies are not stored)."""

from __future__ import annotations

from enum import StrEnum

from kubeopt_common.events.subjects import PREFIX


class QuerySubject(StrEnum):
    NODE_PRICES = f"{PREFIX}.pricing.query"
