"""One-sentence explanations of crew options, in words a dispatcher reads at a glance.

OR-Tools does not say why it chose crew A over crew B; these sentences do, from the numbers that
``recommend`` computed (ETA, displaced work and its delay), so the choice is never a black box.
"""

from __future__ import annotations

from optimizer.dispatch_types import CrewOption, TicketState


def fmt_duration(seconds: int) -> str:
    """"7 min", "2 h 10 min", "3 h": rounded to the minute, the precision a dispatcher uses."""
    minutes = round(abs(int(seconds)) / 60)
    h, m = divmod(minutes, 60)
    if h and m:
        return f"{h} h {m} min"
    if h:
        return f"{h} h"
    return f"{m} min"


def _displacement(opt: CrewOption) -> str:
    if not opt.displaced:
        return ""
    worst = max(opt.displaced, key=lambda d: (-d.ticket_class, d.delay_s))
    what = f"a class-{worst.ticket_class} {worst.kind or 'job'}"
    verb = "diverting it" if opt.diverted else "sending it"
    more = f" (and {len(opt.displaced) - 1} more)" if len(opt.displaced) > 1 else ""
    return f"{verb} delays {what} by {fmt_duration(worst.delay_s)}{more}"


def explain_option(opt: CrewOption, best: CrewOption | None, ticket: TicketState, now_s: int) -> str:
    """The sentence shown next to ``opt``; ``best`` is the top option (None when ``opt`` is the top)."""
    wait = opt.depart_s - now_s
    leaves = "leaves now" if wait <= 60 else f"leaves in {fmt_duration(wait)}"
    if best is None:
        text = f"{opt.crew_label} {leaves} and is on site in {fmt_duration(opt.eta_s - now_s)}"
        disp = _displacement(opt)
        return text + (f"; {disp}." if disp else ", delaying no other work.")
    disp = _displacement(opt)
    gain = best.eta_s - opt.eta_s
    if gain > 30:
        if disp:
            return f"{opt.crew_label} arrives {fmt_duration(gain)} sooner, but {disp}."
        return (f"{opt.crew_label} arrives {fmt_duration(gain)} sooner, but costs the plan more "
                "(a longer drive, or later work elsewhere).")
    later = f"{opt.crew_label} arrives {fmt_duration(-gain)} later than {best.crew_label}"
    if abs(gain) <= 30:
        later = f"{opt.crew_label} arrives about when {best.crew_label} does"
    return later + (f", and {disp}." if disp else ".")
