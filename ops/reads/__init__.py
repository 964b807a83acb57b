"""Read models: what pages, the API and reports show, as plain rows (no ORM objects escape a session).

Nothing here writes. Each module answers the questions of one screen or one report:
``open_queue`` (the dispatch map and grid: open tickets with their next deadline, crews on the map),
``order_state`` (around one ticket or crew: the active order, the last recommendation, the next step),
``crew_page`` (the crew's phone page), ``caller_lookup`` (the hotline's caller and their history),
``open_alerts`` (what the scheduler raised and nobody acknowledged), ``emergency_contact`` (R4.2, on
every ticket of the customer) and ``audit_search`` (R13.1).
Facts that a service or the scheduler also needs ("a crew has departed", "open") live in
``ops.queries`` so that a page and a rule never disagree.
"""
