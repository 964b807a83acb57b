"""The catalog of service messages: one English template (the gettext msgid) per error code.

Services raise :class:`ops.errors.ServiceError` with a code and the values of the message; the edge
translates the template found here and fills the values in afterwards. A code is named for what went
wrong (``order.wrong_step``), never for the rule that says so, because an operator may renumber
rules. Templates keep the wording users already know, so existing translations still match.

``WORDS`` are the translatable values some templates name (a work-order step, say): the edge
translates a value found there before it fills it in, so "cannot %(step)s" reads whole in Chinese.
"""

from __future__ import annotations

from types import MappingProxyType

from ops.i18n import N_

MESSAGES: MappingProxyType[str, str] = MappingProxyType({
    # -- any field ------------------------------------------------------------------------------
    "required": N_("required"),
    "too_long": N_("too long"),
    "text_required": N_("must be text"),
    "not_allowed_value": N_("not one of the allowed values"),
    "aware_time_required": N_("must be a timezone-aware time"),
    "offset_time_required": N_("must be a time with its UTC offset"),
    "reason_required": N_("a reason is required"),
    "yes_or_no": N_("must be yes or no"),
    "yes_no_unknown": N_("must be yes, no or unknown"),
    "phone_invalid": N_("not a phone number"),
    "minutes_invalid": N_("must be a whole number of minutes, 0 or more"),
    # A REST request body that does not match its schema (dashboard.api_models; the API speaks English).
    "request.unknown_field": N_("unknown field"),
    "request.invalid": N_("does not match the schema: %(detail)s"),
    "conflict": N_("someone else changed this ticket, crew or order at the same time; reload and retry"),
    # -- who may (ops.permissions) ----------------------------------------------------------------
    "permission.denied": N_("%(actor)s may not perform '%(action)s'"),
    "account.own_password_only": N_("%(actor)s may change only their own password; an admin resets others'"),
    # -- tickets and intake ---------------------------------------------------------------------
    "ticket.not_found": N_("no such ticket"),
    "ticket.closed": N_("the ticket is closed"),
    "ticket.closed_new_needed": N_("the ticket is closed: create a new ticket"),
    "ticket.not_waiting": N_("the ticket is %(status)s, not waiting for a crew"),
    "ticket.same_class": N_("the ticket already has this class"),
    "intake.in_future": N_("is in the future"),
    "intake.started_after_received": N_("is after the report was received"),
    "intake.safety_pair": N_("must be (code, time)"),
    "intake.no_script": N_("only a class-1 ticket has a safety script"),
    "intake.not_script_line": N_("not a line of this ticket's safety script"),
    "intake.slot_required": N_("class-3 work needs an appointment slot (start and end)"),
    "intake.slot_offset": N_("the slot's times need their UTC offset"),
    "intake.slot_order": N_("the slot must end after it starts"),
    "intake.key_reused": N_("already used for a different report"),
    "intake.key_length": N_("must be 1 to 200 characters"),
    "customer.not_found": N_("no customer with this number"),
    "location.premises_outside": N_("the customer's premises lie outside the service area"),
    "location.invalid": N_("not a valid longitude and latitude"),
    "location.outside": N_("lies outside the service area"),
    "location.unknown": N_(
        "cannot be found: give a customer number, a street of the service area, or a point on the map"),
    "callback_task.not_found": N_("no such call-back task"),
    "callback_task.done": N_("the call-back task is already done"),
    # -- appointments (class 3) ------------------------------------------------------------------
    "appointment.not_possible": N_("no crew can keep this slot: choose a slot marked feasible or tight, or a "
                                   "supervisor may book it with a reason"),
    "appointment.force_reason": N_("a reason is required to book a slot no crew can keep"),
    "appointment.not_scheduled": N_("only a class-3 ticket has an appointment"),
    "appointment.not_movable": N_("the ticket is %(status)s: the appointment can no longer move"),
    "appointment.not_offered": N_("not the start of an offered appointment slot"),
    "appointment.past": N_("this slot is over"),
    "appointment.same_slot": N_("the ticket is already booked into this slot"),
    "appointment.day_range": N_("must be one of the next %(days)s days"),
    # -- class changes ----------------------------------------------------------------------------
    "class.lower_needs_supervisor": N_("Lowering a class-%(from_class)s ticket to class %(to_class)s needs a "
                                       "supervisor (R6.5)."),
    "class.lower_needs_reason": N_("Lowering a ticket from class %(from_class)s to class %(to_class)s needs a "
                                   "reason (R6.5)."),
    "class.change_needs_reason": N_("A change of class needs a reason (R6.5)."),
    # -- work orders ------------------------------------------------------------------------------
    "order.not_found": N_("no such work order"),
    "order.stale": N_("the work order was changed by someone else; reload it (now version %(version)s)"),
    "order.other_crew": N_("this work order belongs to another crew"),
    "order.wrong_step": N_("cannot %(step)s a work order that is %(status)s (needs %(allowed)s)"),
    "order.same_crew": N_("the order is already with this crew"),
    "order.office_only": N_("%(actor)s may not %(step)s a work order: dispatchers and supervisors only"),
    "crew.not_found": N_("no such crew"),
    "crew.off_shift": N_("the crew is not on shift"),
    "crew.busy": N_("the crew is busy with another work order"),
    "crew.inactive": N_("the crew is no longer active"),
    "queue.position": N_("must be a place in the crew's queue: 1 (next) or later"),
    "queue.nothing_behind": N_("nothing waits in this crew's queue: the order stays its current one"),
    "recommendation.not_found": N_("no such recommendation for this ticket"),
    "dispatch.k_range": N_("the number of crews to rank must be a whole number from 1 to %(max)s"),
    "dispatch.override_reason": N_("a reason is required when the crew is not the top recommendation"),
    "reading.ppm": N_("a reading in ppm, zero or more, is required"),
    "reading.window": N_("must be between the arrival and now"),
    "reading.required_to_complete": N_("a class-1 order needs a gas detector reading before completion (R8.3)"),
    "reading.required_first": N_("a class-1 order needs a gas detector reading first (R8.3)"),
    "parts.list_required": N_("a list of parts is required (may be empty)"),
    "parts.unknown": N_("not in the parts list"),
    "parts.not_standard": N_("this part does not meet the national standard (R8.4)"),
    "parts.quantity": N_("quantity must be a whole number, 1 or more"),
    "repair.result": N_("must be fixed, not_fixed or needs_follow_up"),
    "repair.customer_confirmation": N_("the customer must confirm the record (R9.1)"),
    "repair.safety_advice": N_("safety advice must be given to the customer (R8.5)"),
    "repair.gas_not_restored": N_("a repair can be recorded as fixed only when the gas was restored after the "
                                  "repair was checked as safe (R8.6)"),
    # -- alerts -----------------------------------------------------------------------------------
    "alert.not_found": N_("no such alert"),
    "alert.already_acknowledged": N_("the alert is already acknowledged"),
    # -- crews and positions ----------------------------------------------------------------------
    "crew.longitude": N_("%(value)s is not a longitude"),
    "crew.latitude": N_("%(value)s is not a latitude"),
    "crew.speed": N_("%(value)s is not a speed"),
    "crew.heading": N_("%(value)s is not a heading in [0, 360)"),
    "crew.status_unknown": N_("%(value)s is not a crew status"),
    "depot.name_required": N_("a depot needs a name"),
    "depot.name_taken": N_("a depot named %(name)s already exists"),
    "depot.not_found": N_("no depot with id %(value)s"),
    # -- coverage (ops.reads.coverage) ------------------------------------------------------------
    "coverage.minutes": N_("must be a whole number of minutes from 1 to %(max)s"),
    "coverage.mode": N_("must be live or plan"),
    "coverage.scope": N_("must be available or on_shift"),
    "coverage.shift": N_("%(value)s is not a shift (day or night)"),
    "coverage.weekday": N_("must be a weekday from 0 (Monday) to 6 (Sunday)"),
    "coverage.hour": N_("must be an hour from 0 to 23"),
    "coverage.resolution": N_("must be an H3 resolution from %(min)s to %(max)s"),
    "coverage.crew_unknown": N_("no crew with id %(value)s"),
    "coverage.period": N_("the period must end after it starts"),
    # -- where to stand (ops.reads.standing) -------------------------------------------------------
    "coverage.crews": N_("must be a whole number of crews, at least 1"),
    "coverage.crews_idle": N_("only %(max)s idle crews can be moved"),
    "coverage.model": N_("must be mclp or mexclp"),
    "crew.code_required": N_("a crew needs a code"),
    "crew.name_required": N_("a crew needs a name"),
    "crew.code_taken": N_("a crew with code %(code)s already exists"),
    "crew.skills_required": N_("a crew needs at least one skill"),
    "crew.skill_unknown": N_("%(value)s is not a skill"),
    "crew.shift_pattern_unknown": N_("%(value)s is not a shift pattern"),
    "crew.shift_start": N_("%(value)s is not an hour 0-23"),
    "crew.shift_end": N_("%(value)s is not an hour 0-24 different from the start"),
    "crew.member_name_required": N_("a crew member needs a name"),
    "user.not_found": N_("no user with id %(value)s"),
    # -- the audit log's search -------------------------------------------------------------------
    "audit.not_text": N_("expected text, got %(type)s"),
    "audit.not_datetime": N_("expected a datetime, got %(type)s"),
    "audit.not_date": N_("not a date: %(value)s"),
    "audit.naive": N_("needs a time zone, got naive %(value)s"),
    "audit.too_long": N_("at most %(max)s characters, got %(length)s"),
    "audit.until_before_since": N_("until (%(until)s) is before since (%(since)s)"),
    "audit.limit": N_("must be a whole number from 1 to %(max)s, got %(value)s"),
    # -- accounts and API tokens ------------------------------------------------------------------
    "password.too_short": N_("use at least %(min)s characters"),
    "password.is_username": N_("the password must not be the username"),
    "password.wrong": N_("the current password is not correct"),
    "password.unchanged": N_("choose a password different from the current one"),
    "text.max_length": N_("use at most %(max)s characters"),
    "role.unknown": N_("unknown role %(value)s (known: %(known)s)"),
    "role.required": N_("a user needs at least one role"),
    "role.system_reserved": N_("the system role belongs to the scheduler and importers, not to people"),
    "language.unsupported": N_("unsupported language %(value)s (%(known)s)"),
    "crew.code_unknown": N_("no crew with code %(code)s"),
    "username.invalid": N_("use 2-80 lower-case letters, digits, '.', '_' or '-'"),
    "username.taken": N_("%(value)s is already taken"),
    "display_name.required": N_("a display name is required"),
    "crew_link.members_only": N_("only a user with the crew_member role is linked to a crew"),
    "crew_link.required": N_("a crew member must be linked to a crew: give the crew's code"),
    "right.unknown": N_("%(value)s is not a grantable right (%(known)s)"),
    "admin.last": N_("this is the last active admin; make someone else admin first"),
    "active.invalid": N_("expected true or false, got %(value)s"),
    "active.self": N_("you cannot disable your own account"),
    "user.disabled": N_("user %(user)s is disabled"),
    "token.name_required": N_("a token needs a name saying what uses it"),
    "token.not_found": N_("no API token with id %(value)s"),
    "scope.required": N_("a token needs at least one scope (known: %(known)s)"),
    "scope.unknown": N_("unknown scope %(value)s (known: %(known)s)"),
    "scope.not_allowed": N_("user %(user)s may not %(action)s, so the token cannot carry scope %(scope)s"),
    "token.crew_required": N_("a token with the crew scope must name its crew"),
    "token.not_member": N_("user %(user)s is not a member of crew %(crew)s"),
    "token.crew_scope_only": N_("only a token with the crew scope is bound to a crew"),
    "token.crew_not_bound": N_("this token is not bound to this crew"),
    "token.expiry_past": N_("the expiry must be in the future"),
})

#: Values that templates name and that read as words, translated before they are filled in.
WORDS: MappingProxyType[str, str] = MappingProxyType({
    "acknowledge": N_("acknowledge"),
    "depart": N_("depart on"),
    "arrive": N_("arrive on"),
    "record_reading": N_("record a reading on"),
    "complete": N_("complete"),
    "not_fixed": N_("close as not fixed"),
    "cancel": N_("cancel"),
    "reassign": N_("reassign"),
    "queue": N_("queue"),
    "promote": N_("make current"),
    "preempt": N_("divert"),
})
