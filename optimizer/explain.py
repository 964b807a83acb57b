"""Why a crew is proposed: the :class:`~optimizer.dispatch_types.Reason`, decided here once, and its
English sentence.

OR-Tools does not say why it chose crew A over crew B; :func:`reason_for` does, from the numbers that
``recommend`` computed (ETA, displaced work and its delay), so the choice is never a black box. The
thresholds that pick the wording live only here. :func:`english` renders a reason for the stored
``explanation`` (R13.1, the API); the dispatch panel translates the same reason into the reader's
language (``dashboard.components.recommendation_panel.reason_text``).

Values by kind (durations in seconds):

- every kind: ``crew`` (the option's crew label);
- ``best_leaves_now``: ``eta_s`` (on site in); ``best_leaves_later``: also ``wait_s`` (leaves in);
- ``sooner_but_costlier``: ``gain_s``; ``as_soon_as_best``: ``top`` (the top crew's label);
  ``later_than_best``: ``top`` and ``later_s``;
- ``nearest_fallback``: ``drive_s``;
- when the option displaces work (any kind but ``nearest_fallback``): ``delay_s``, ``delayed_class``
  and ``delayed_job`` (the worst delayed job: highest class, then longest delay; the job's kind,
  "" if unknown), ``delayed_more`` (how many other jobs it delays) and ``diverting`` (whether the
  crew is taken off the job it is on).
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.dispatch_types import CrewOption, Reason

#: A departure within this many seconds reads "leaves now".
LEAVES_NOW_S = 60
#: Arrivals closer than this many seconds read "about when"; further apart, "sooner" or "later".
SAME_ARRIVAL_S = 30


def fmt_duration(seconds: int) -> str:
    """"7 min", "2 h 10 min", "3 h": rounded to the minute, the precision a dispatcher uses."""
    minutes = round(abs(int(seconds)) / 60)
    h, m = divmod(minutes, 60)
    if h and m:
        return f"{h} h {m} min"
    if h:
        return f"{h} h"
    return f"{m} min"


def _displacement(opt: CrewOption) -> dict[str, int | str | bool]:
    if not opt.displaced:
        return {}
    worst = max(opt.displaced, key=lambda d: (-d.ticket_class, d.delay_s))
    return {"delay_s": int(worst.delay_s), "delayed_class": int(worst.ticket_class), "delayed_job": worst.kind,
            "delayed_more": len(opt.displaced) - 1, "diverting": bool(opt.diverted)}


def reason_for(opt: CrewOption, best: CrewOption | None, now_s: int) -> Reason:
    """Why ``opt`` ranks where it does; ``best`` is the top option (None when ``opt`` is the top)."""
    values: dict[str, int | str | bool] = {"crew": opt.crew_label, **_displacement(opt)}
    if best is None:
        values["eta_s"] = int(opt.eta_s - now_s)
        wait = int(opt.depart_s - now_s)
        if wait <= LEAVES_NOW_S:
            return Reason("best_leaves_now", values)
        return Reason("best_leaves_later", {**values, "wait_s": wait})
    gain = int(best.eta_s - opt.eta_s)
    if gain > SAME_ARRIVAL_S:
        return Reason("sooner_but_costlier", {**values, "gain_s": gain})
    values["top"] = best.crew_label
    if gain >= -SAME_ARRIVAL_S:
        return Reason("as_soon_as_best", values)
    return Reason("later_than_best", {**values, "later_s": -gain})


def nearest_reason(crew_label: str, drive_s: int) -> Reason:
    """The reason of a crew ranked by drive time alone, when the insertion ranking failed."""
    return Reason("nearest_fallback", {"crew": crew_label, "drive_s": int(drive_s)})


def _english_displacement(v: Mapping[str, int | str | bool]) -> str:
    if "delay_s" not in v:
        return ""
    verb = "diverting it" if v["diverting"] else "sending it"
    more = f" (and {v['delayed_more']} more)" if v["delayed_more"] else ""
    what = f"a class-{v['delayed_class']} {v['delayed_job'] or 'job'}"
    return f"{verb} delays {what} by {fmt_duration(int(v['delay_s']))}{more}"


def english(reason: Reason) -> str:
    """The reason as the one English sentence stored with the recommendation."""
    v = reason.values
    crew, disp = v["crew"], _english_displacement(v)
    match reason.kind:
        case "best_leaves_now" | "best_leaves_later":
            leaves = "leaves now" if reason.kind == "best_leaves_now" else f"leaves in {fmt_duration(int(v['wait_s']))}"
            text = f"{crew} {leaves} and is on site in {fmt_duration(int(v['eta_s']))}"
            return text + (f"; {disp}." if disp else ", delaying no other work.")
        case "sooner_but_costlier":
            gain = fmt_duration(int(v["gain_s"]))
            if disp:
                return f"{crew} arrives {gain} sooner, but {disp}."
            return f"{crew} arrives {gain} sooner, but costs the plan more (a longer drive, or later work elsewhere)."
        case "as_soon_as_best":
            text = f"{crew} arrives about when {v['top']} does"
        case "later_than_best":
            text = f"{crew} arrives {fmt_duration(int(v['later_s']))} later than {v['top']}"
        case "nearest_fallback":
            return f"nearest free crew: on site in {int(v['drive_s']) // 60} min (fallback ranking)"
    return text + (f", and {disp}." if disp else ".")
