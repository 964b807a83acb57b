"""Services: every state change of the operational record goes through a function here.

Each one takes the caller's session, an :class:`ops.permissions.Actor` and the time ``now`` (never
the wall clock), checks the actor's permission, validates its input with errors that name the
field, writes the change together with its audit event (ops.audit.record) and returns the new
state. Callers wrap it in ``ops.db.transaction`` so that the change and its audit line commit or
roll back together. Dash callbacks and API routes stay thin: parse, call one service, render.
"""
