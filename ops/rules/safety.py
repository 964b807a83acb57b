"""R6.2 safety script read to a class-1 caller, and the R6.2 call-back task for reports without a call.

The instructions carry stable codes because the system records which were given, and when. The
emergency numbers are rule settings filled in after translation, so a configured number survives
any language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ops.i18n import N_
from ops.rules.settings import RuleSettings, resolve
from ops.vocabulary import Channel, Symptom, TicketClass

__all__ = ["MAJOR_INCIDENT_SYMPTOMS", "SafetyInstruction", "needs_callback_task", "safety_script"]


@dataclass(frozen=True)
class SafetyInstruction:
    """One line of the R6.2 safety script; ``code`` is what the system records as given, and when.

    ``message`` is the msgid (with ``%(name)s`` placeholders); ``params`` fills them after
    translation so that a configured emergency number survives any language.
    """

    code: str
    message: str
    params: tuple[tuple[str, str], ...] = ()

    def render(self, gettext: Callable[[str], str] | None = None) -> str:
        template = gettext(self.message) if gettext is not None else self.message
        return template % dict(self.params) if self.params else template


#: R6.2 / R12: symptoms that are a major incident by themselves; a major leak is flagged by the agent.
MAJOR_INCIDENT_SYMPTOMS: frozenset[Symptom] = frozenset({Symptom.FIRE, Symptom.EXPLOSION})

_BASE_SCRIPT = (
    SafetyInstruction("close_valve", N_("Close the gas valve.")),
    SafetyInstruction("open_windows", N_("Open the windows and doors.")),
    SafetyInstruction("no_open_flame", N_("Do not light any flame and do not smoke.")),
    SafetyInstruction("no_electrical_switching", N_("Do not switch any electrical device or light on or off.")),
    SafetyInstruction("leave_premises", N_("Leave the premises and wait outside.")),
)


def safety_script(
    symptom: Symptom | str,
    ticket_class: TicketClass | int,
    *,
    major_leak: bool = False,
    rules: RuleSettings | None = None,
) -> tuple[SafetyInstruction, ...]:
    """The guidance the agent reads on a class-1 call (R6.2); empty for classes 2 and 3.

    Fire and explosion always add the calls to 119 and 110 (R6.2, R12.1). Whether a leak is
    *major* cannot be told from the symptom, so the agent says so with ``major_leak``.
    """
    if TicketClass(ticket_class) is not TicketClass.EMERGENCY:
        return ()
    r = resolve(rules)
    script = list(_BASE_SCRIPT)
    if Symptom(symptom) in MAJOR_INCIDENT_SYMPTOMS or major_leak:
        script.append(SafetyInstruction(
            "call_fire", N_("Phone %(number)s (fire service)."), (("number", r.fire_number),),
        ))
        script.append(SafetyInstruction(
            "call_police", N_("Phone %(number)s (police)."), (("number", r.police_number),),
        ))
    return tuple(script)


def needs_callback_task(channel: Channel | str, ticket_class: TicketClass | int) -> bool:
    """R6.2 (product): a class-1 report without a voice call gets an immediate hotline call-back.

    "Without a voice call" follows ``Channel.is_voice``: only the hotline counts, so a counter
    report also gets the task (the reporter is not at the premises; someone must call there).
    """
    return TicketClass(ticket_class) is TicketClass.EMERGENCY and not Channel(channel).is_voice
