"""How lively the demo feed is: arrival rate, crew delays, how often positions are posted.

The defaults make a centre a newcomer can watch: a report every three minutes or so, crews that
acknowledge within a few minutes and post a GPS ping every 15 s while they drive. Tests shrink
the service times (``service_scale``) so whole jobs finish within an hour of simulated time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["FeedConfig", "FeedReport"]


@dataclass(frozen=True)
class FeedConfig:
    """Knobs of the demo feed; every duration is simulated time, driven by the scheduler's clock."""

    #: Mean time between new reports over a day (a Poisson process).
    mean_interarrival: timedelta = timedelta(minutes=3)
    #: Follow the history's hour-of-day profile (``scenario.HOUR_PROFILE``): busy mornings and
    #: evenings, quiet nights, when only the night crews are on. ``False``: the same rate all day.
    hour_profile: bool = True
    #: Reports older than this when a step finally runs (the clock was stopped) are not replayed.
    max_backlog: timedelta = timedelta(minutes=10)
    #: The demo supervisor confirms the top recommendation for a class-2/3 ticket that has waited
    #: this long (class 1 is dispatched by the scheduler itself after the R7.3 wait). ``None`` switches
    #: this off, so the queue waits for a person at the dispatch desk.
    auto_confirm_after: timedelta | None = timedelta(minutes=4)
    #: A class-3 ticket is confirmed only this long before its appointment slot opens.
    class3_lead: timedelta = timedelta(minutes=90)
    #: When no crew could take a ticket, try it again after this long (each try stores a recommendation).
    retry_confirm_after: timedelta = timedelta(minutes=5)
    #: At most this many tickets are confirmed per step (each builds a dispatch state).
    max_confirms_per_step: int = 2
    #: A crew on the road posts a position this often.
    ping_every: timedelta = timedelta(seconds=15)
    #: At most this many pings per crew and step (after a long pause only the latest are posted).
    max_pings_per_step: int = 20
    #: Multiplies the expected service time on site (ops.dispatching.SERVICE_MINUTES).
    service_scale: float = 1.0
    #: Share of visits that end "not fixed" (the ticket goes back to the queue for another visit).
    not_fixed_share: float = 0.05
    #: Share of acknowledgements that come late (after the R7.2 limit, ``RuleSettings.ack_minutes``).
    late_ack_share: float = 0.05
    #: An idle crew this far (metres) from its depot drives back to it after ``return_after``.
    home_radius_m: float = 400.0
    return_after: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.mean_interarrival <= timedelta(0):
            raise ValueError("mean_interarrival must be positive")
        if self.ping_every <= timedelta(0):
            raise ValueError("ping_every must be positive")
        if self.service_scale <= 0:
            raise ValueError("service_scale must be positive")
        if not 0 <= self.not_fixed_share <= 1 or not 0 <= self.late_ack_share <= 1:
            raise ValueError("shares must lie between 0 and 1")


@dataclass(repr=False)
class FeedReport:
    """What one step did, by ticket or work-order id (for the log and the tests)."""

    created: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    departed: list[int] = field(default_factory=list)
    arrived: list[int] = field(default_factory=list)
    readings: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    not_fixed: list[int] = field(default_factory=list)
    shift_changes: list[int] = field(default_factory=list)
    positions: int = 0
    errors: list[str] = field(default_factory=list)
    #: Why the step did nothing at all (no demo in the database, a demo login missing).
    idle: str | None = None

    def merge(self, other: FeedReport) -> None:
        for name in ("created", "confirmed", "acknowledged", "departed", "arrived", "readings", "completed",
                     "not_fixed", "shift_changes", "errors"):
            getattr(self, name).extend(getattr(other, name))
        self.positions += other.positions

    def __repr__(self) -> str:
        """Counts only: the scheduler logs this every tick the feed acted."""
        if self.idle:
            return f"feed idle: {self.idle}"
        parts = [f"{name} {len(getattr(self, name))}" for name in (
            "created", "confirmed", "acknowledged", "departed", "arrived", "readings", "completed", "not_fixed",
            "shift_changes", "errors") if getattr(self, name)]
        if self.positions:
            parts.append(f"positions {self.positions}")
        return "feed: " + (", ".join(parts) or "nothing due")

    @property
    def acted(self) -> bool:
        return bool(self.positions or self.errors or self.created or self.confirmed or self.acknowledged
                    or self.departed or self.arrived or self.readings or self.completed or self.not_fixed
                    or self.shift_changes)
