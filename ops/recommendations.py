"""One recommendation, typed: the crews ranked for a ticket as they were shown and stored (R7.1, R13.1).

The same recommendation travels through the service that stores it, the dispatch board's panel,
the API, ``confirm_dispatch`` (which keeps a copy on the work order) and the scheduler's R7.3
auto-dispatch. Each reads it as :class:`StoredRecommendation` and its :class:`Option` list instead
of a JSON dict by string key, so a key renamed or misspelt fails in one place.

The JSON form lives in ``recommendations.payload``, ``work_orders.recommendation`` and the
append-only ``audit_events.recommendation``, which are never rewritten: :meth:`from_payload` is the
one reader of every stored form, and :meth:`to_payload` writes the current one. Keys it does not
know are kept as they were (``extra``), so a payload written by a newer version survives a round trip.

Slack was once keyed by the default value of each deadline (``depart_30``, ``onsite_4h``,
``onsite_8h``), which lies as soon as a setting changes; it is now keyed by the deadline's name
(:data:`SLACK_RENAMES`), and old payloads are read under the new names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ops.clock import from_epoch
from optimizer.dispatch_types import Reason

if TYPE_CHECKING:
    from ops.models import Recommendation

__all__ = ["SLACK_RENAMES", "Displaced", "Option", "StoredRecommendation", "current_slack"]

#: Slack keys of payloads stored before the rename → the deadline's name.
SLACK_RENAMES: Mapping[str, str] = MappingProxyType({
    "depart_30": "depart_by",
    "onsite_4h": "onsite_target",
    "onsite_8h": "onsite_limit",
})


def current_slack(slack: Mapping[str, Any]) -> dict[str, int]:
    """Seconds to spare by deadline name, whichever names the slack was stored under."""
    return {SLACK_RENAMES.get(str(k), str(k)): int(v) for k, v in slack.items()}


def _rest(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in known}


@dataclass(frozen=True)
class Displaced:
    """Work that sending the crew pushes back: the ticket and by how much."""

    ticket_id: int
    ticket_class: int
    delay_s: int
    kind: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ticket_id": self.ticket_id, "ticket_class": self.ticket_class, "delay_s": self.delay_s,
                "kind": self.kind}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Displaced:
        return cls(ticket_id=int(data["ticket_id"]), ticket_class=int(data.get("ticket_class", 0)),
                   delay_s=int(data.get("delay_s", 0)), kind=str(data.get("kind") or ""))


@dataclass(frozen=True)
class Option:
    """One ranked crew: when it leaves and arrives, the slack per deadline, what it displaces and why."""

    rank: int
    crew_id: int
    crew_code: str
    eta_s: int
    departure_s: int
    #: Seconds to spare against each of the ticket's deadlines (negative: late by that much).
    slack_s: Mapping[str, int] = field(default_factory=dict)
    displaces: tuple[Displaced, ...] = ()
    #: The optimizer's own sentence (English), kept as it was shown (R13.1).
    explanation: str = ""
    cost: int = 0
    cost_delta: int = 0
    #: Taken off its current class-2/3 job for a class 1 (R7.1 preemption).
    diverted: bool = False
    #: On another order it keeps: confirming it puts this ticket in the crew's queue (R7.6).
    busy: bool = False
    #: On site past its job's expected end by this many seconds: it is sent when it finishes.
    overrun_s: int = 0
    #: Why this crew, as kind and numbers (the panel translates it); ``None`` in payloads stored before.
    reason: Reason | None = None
    #: Stored keys this version does not know, written back unchanged.
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KEYS = frozenset({"rank", "crew_id", "crew_code", "eta", "eta_s", "departure", "departure_s", "slack_s",
                       "displaces", "explanation", "cost", "cost_delta", "diverted", "busy", "overrun_s",
                       "reason"})

    @property
    def eta(self) -> datetime:
        return from_epoch(self.eta_s)

    @property
    def departure(self) -> datetime:
        return from_epoch(self.departure_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "crew_id": self.crew_id, "crew_code": self.crew_code,
            "eta": self.eta.isoformat(), "eta_s": self.eta_s,
            "departure": self.departure.isoformat(), "departure_s": self.departure_s,
            "slack_s": dict(self.slack_s), "displaces": [d.to_json() for d in self.displaces],
            "explanation": self.explanation, "cost": self.cost, "cost_delta": self.cost_delta,
            "diverted": self.diverted, "busy": self.busy, "overrun_s": self.overrun_s,
            **({"reason": self.reason.to_json()} if self.reason is not None else {}), **self.extra,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Option:
        eta_s = data.get("eta_s")
        departure_s = data.get("departure_s")
        reason = Reason.from_json(data.get("reason"))
        return cls(
            rank=int(data.get("rank", 1)), crew_id=int(data["crew_id"]), crew_code=str(data.get("crew_code") or ""),
            eta_s=int(eta_s if eta_s is not None else datetime.fromisoformat(data["eta"]).timestamp()),
            departure_s=int(departure_s if departure_s is not None
                            else datetime.fromisoformat(data["departure"]).timestamp()),
            slack_s=current_slack(data.get("slack_s") or {}),
            displaces=tuple(Displaced.from_json(d) for d in data.get("displaces") or ()),
            explanation=str(data.get("explanation") or ""), cost=int(data.get("cost", 0)),
            cost_delta=int(data.get("cost_delta", 0)), diverted=bool(data.get("diverted", False)),
            busy=bool(data.get("busy", False)), overrun_s=int(data.get("overrun_s", 0) or 0), reason=reason,
            # A reason of a kind this version does not know is kept as it was and written back.
            extra={**_rest(data, cls._KEYS),
                   **({"reason": data["reason"]} if reason is None and data.get("reason") is not None else {})},
        )


@dataclass(frozen=True)
class StoredRecommendation:
    """The crews ranked for one ticket at one moment, as the pages, the API and the work order keep them."""

    ticket_id: int
    ticket_no: str
    ticket_class: int
    created_at: datetime
    #: The moment of the recommendation in epoch seconds: waits and ETAs are measured from it.
    now_s: int
    options: tuple[Option, ...]
    k: int = 3
    used_fallback: bool = False
    note: str = ""
    #: Where it came from: ``None`` for a click, an API call or the scheduler, ``"plan_all"`` for "Plan all".
    source: str | None = None
    #: The plan in force the ticket was inserted into (its note), or ``None`` for a greedy plan.
    plan_in_force: str | None = None
    #: The stored row's id, which ``confirm_dispatch`` takes; ``None`` for a preview nobody stored.
    recommendation_id: int | None = None
    #: On a work order's copy: "followed", "override" or "auto".
    decision: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KEYS = frozenset({"ticket_id", "ticket_no", "ticket_class", "created_at", "now_s", "k", "used_fallback",
                       "note", "source", "plan_in_force", "options", "recommendation_id", "decision"})

    @property
    def top(self) -> Option | None:
        """The recommended crew (rank 1), if any crew could be ranked."""
        return self.options[0] if self.options else None

    def option_for(self, crew_id: int) -> Option | None:
        return next((o for o in self.options if o.crew_id == crew_id), None)

    @property
    def stored(self) -> bool:
        return self.recommendation_id is not None

    def to_payload(self) -> dict[str, Any]:
        """The JSON kept in ``recommendations.payload`` (without the row's id or a decision)."""
        payload: dict[str, Any] = {
            "ticket_id": self.ticket_id, "ticket_no": self.ticket_no, "ticket_class": self.ticket_class,
            "created_at": self.created_at.isoformat(), "now_s": self.now_s, "k": self.k,
            "used_fallback": self.used_fallback, "note": self.note,
        }
        if self.source is not None:
            payload["source"] = self.source
        if self.source is None or self.plan_in_force is not None:
            payload["plan_in_force"] = self.plan_in_force
        return {**payload, **self.extra, "options": [o.to_json() for o in self.options]}

    def to_record(self) -> dict[str, Any]:
        """The payload with its ``recommendation_id``: what an audit event or a work order keeps (R13.1)."""
        return {"recommendation_id": self.recommendation_id, **self.to_payload()}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], *, recommendation_id: int | None = None) -> StoredRecommendation:
        """Any stored form: a row's payload, a work order's copy or an audit event's (which carry the id)."""
        created = datetime.fromisoformat(payload["created_at"])
        rec_id = payload.get("recommendation_id") if recommendation_id is None else recommendation_id
        return cls(
            ticket_id=int(payload["ticket_id"]), ticket_no=str(payload.get("ticket_no") or ""),
            ticket_class=int(payload.get("ticket_class", 0)), created_at=created,
            now_s=int(payload.get("now_s", created.timestamp())),
            options=tuple(Option.from_json(o) for o in payload.get("options") or ()),
            k=int(payload.get("k", 3)), used_fallback=bool(payload.get("used_fallback", False)),
            note=str(payload.get("note") or ""), source=payload.get("source"),
            plan_in_force=payload.get("plan_in_force"),
            recommendation_id=int(rec_id) if rec_id is not None else None, decision=payload.get("decision"),
            extra=_rest(payload, cls._KEYS),
        )

    @classmethod
    def from_row(cls, row: Recommendation) -> StoredRecommendation:
        return cls.from_payload(row.payload, recommendation_id=row.id)
