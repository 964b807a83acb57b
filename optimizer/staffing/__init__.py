"""Staffing: how many crews a shift needs.

The simulator (issue 14) answers that question; this package first holds the analytic oracles it is
validated against and the quick Erlang lower bound shown beside it (`queueing`). Pure computation,
no database.
"""
