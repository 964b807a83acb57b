"""Why a crew is proposed: the :class:`~optimizer.dispatch_types.Reason`, decided here once, and its
English sentence.

OR-Tools does not say why it chose crew A over crew B; :func:`reason_for` does, from the numbers that
``recommend`` computed (ETA, displaced work and its delay), so the choice is never a black box. The
thresholds that pick the wording and the wording itself live only here: :func:`render` fills in the
one template of a reason's kind, in English for the stored ``explanation`` (R13.1, the API) and
translated for the dispatch panel (``dashboard.components.recommendation_panel.explanation_text``).

Values by kind (durations in seconds):

- every kind: ``crew`` (the option's crew label);
- ``best_leaves_now``: ``eta_s`` (on site in); ``best_leaves_later``: also ``wait_s`` (leaves in);
- ``sooner_but_costlier``: ``gain_s``; ``as_soon_as_best``: ``top`` (the top crew's label);
  ``later_than_best``: ``top`` and ``later_s``;
- ``nearest_fallback``: ``drive_s``;
- when the option displaces work (any kind but ``nearest_fallback``): ``delay_s``, ``delayed_class``
  and ``delayed_job`` (the worst delayed job: highest class, then longest delay; the job's kind,
  "" if unknown), ``delayed_more`` (how many other jobs it delays) and ``diverting`` (whether the
  crew is taken off the job it is on);
- when the crew is on site past its job's expected end (any kind but ``nearest_fallback``):
  ``overrun_s``, and the sentence ends with :data:`OVERRUN_SENTENCE` ("finishing a job on site, N min
  over"): the crew leaves when it finishes, at a realistic expected finish (``ops.expected_finish``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType

from optimizer.dispatch_types import CrewOption, Reason

#: A departure within this many seconds reads "leaves now".
LEAVES_NOW_S = 60
#: Arrivals closer than this many seconds read "about when"; further apart, "sooner" or "later".
SAME_ARRIVAL_S = 30


def _displacement(opt: CrewOption) -> dict[str, int | str | bool]:
    if not opt.displaced:
        return {}
    worst = max(opt.displaced, key=lambda d: (-d.ticket_class, d.delay_s))
    return {"delay_s": int(worst.delay_s), "delayed_class": int(worst.ticket_class), "delayed_job": worst.kind,
            "delayed_more": len(opt.displaced) - 1, "diverting": bool(opt.diverted)}


def reason_for(opt: CrewOption, best: CrewOption | None, now_s: int) -> Reason:
    """Why ``opt`` ranks where it does; ``best`` is the top option (None when ``opt`` is the top)."""
    values: dict[str, int | str | bool] = {"crew": opt.crew_label, **_displacement(opt)}
    if opt.overrun_s > 0:
        values["overrun_s"] = int(opt.overrun_s)
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


def N_(message: str) -> str:  # noqa: N802 - the gettext marker; ``optimizer`` may not import ``ops``
    """Mark a template for the catalogs (``make i18n`` extracts ``N_`` here too); the reader translates it."""
    return message


#: The one wording of each kind of reason, without and with displaced work: :func:`english` fills it
#: in for the stored sentence, the dispatch panel translates the same template and fills it in too.
REASON_SENTENCES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "best_leaves_now": (N_("%(crew)s leaves now and is on site in %(eta)s, delaying no other work."),
                        N_("%(crew)s leaves now and is on site in %(eta)s; %(delays)s.")),
    "best_leaves_later": (N_("%(crew)s leaves in %(wait)s and is on site in %(eta)s, delaying no other work."),
                          N_("%(crew)s leaves in %(wait)s and is on site in %(eta)s; %(delays)s.")),
    "sooner_but_costlier": (N_("%(crew)s arrives %(gain)s sooner, but costs the plan more "
                               "(a longer drive, or later work elsewhere)."),
                            N_("%(crew)s arrives %(gain)s sooner, but %(delays)s.")),
    "as_soon_as_best": (N_("%(crew)s arrives about when %(top)s does."),
                        N_("%(crew)s arrives about when %(top)s does, and %(delays)s.")),
    "later_than_best": (N_("%(crew)s arrives %(later)s later than %(top)s."),
                        N_("%(crew)s arrives %(later)s later than %(top)s, and %(delays)s.")),
    "nearest_fallback": (N_("%(crew)s is the nearest free crew: on site in %(drive)s (fallback ranking)."),) * 2,
})

#: The worst job an option delays, by (the crew is taken off its current job, the job's kind is known).
DELAY_CLAUSES: Mapping[tuple[bool, bool], str] = MappingProxyType({
    (True, True): N_("diverting it delays a class-%(cls)s job (%(job)s) by %(delay)s"),
    (True, False): N_("diverting it delays a class-%(cls)s job by %(delay)s"),
    (False, True): N_("sending it delays a class-%(cls)s job (%(job)s) by %(delay)s"),
    (False, False): N_("sending it delays a class-%(cls)s job by %(delay)s"),
})
MORE_DELAYED = N_("%(delays)s (and %(n)s more)")
#: Added to any reason of a crew on site past its job's expected end.
OVERRUN_SENTENCE = N_("%(crew)s is finishing a job on site, %(over)s over.")


def minutes(seconds: float, *, up: bool = False) -> tuple[int, int]:
    """``(hours, minutes)`` in whole minutes, the precision a dispatcher works in.

    Time to spare rounds down; with ``up`` (a delay, lateness) it rounds up, so that a delay of
    40 s never reads "by 0 min", as if no harm were done.
    """
    total = int(abs(seconds) // 60) if seconds >= 0 and not up else math.ceil(abs(seconds) / 60)
    return divmod(total, 60)


def _english_duration(seconds: float, up: bool = False) -> str:
    h, m = minutes(seconds, up=up)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def render(reason: Reason, translate: Callable[[str], str] = str,
           duration: Callable[[float, bool], str] = _english_duration,
           job: Callable[[str], str] = str) -> str:
    """``reason`` in words: the template of its kind, ``translate``d, then its values filled in.

    ``duration(seconds, up)`` and ``job(kind)`` say the values in the reader's language; the defaults
    are English, which is what :func:`english` stores.
    """
    v = reason.values
    delays = ""
    if "delay_s" in v:
        kind = str(v.get("delayed_job") or "")
        delays = translate(DELAY_CLAUSES[bool(v.get("diverting")), bool(kind)]) % {
            "cls": v.get("delayed_class", ""), "job": job(kind) if kind else "",
            "delay": duration(int(v["delay_s"]), True)}
        if v.get("delayed_more"):
            delays = translate(MORE_DELAYED) % {"delays": delays, "n": int(v["delayed_more"])}
    plain, displaced = REASON_SENTENCES[reason.kind]

    def t(key: str, up: bool = False) -> str:
        return duration(int(v.get(key, 0)), up)

    sentence = translate(displaced if delays else plain) % {
        "crew": v.get("crew", ""), "top": v.get("top", ""), "delays": delays, "eta": t("eta_s"),
        "wait": t("wait_s"), "gain": t("gain_s", True), "later": t("later_s", True), "drive": t("drive_s")}
    if int(v.get("overrun_s", 0) or 0) > 0:
        sentence += " " + translate(OVERRUN_SENTENCE) % {"crew": v.get("crew", ""), "over": t("overrun_s", True)}
    return sentence


def english(reason: Reason) -> str:
    """The reason as the one English sentence stored with the recommendation (R13.1, the API)."""
    return render(reason)
