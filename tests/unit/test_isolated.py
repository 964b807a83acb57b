"""The killable child process that guards every solver call (the fallback's wall-clock promise)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from optimizer.isolated import ChildFailedError, DeadlineExceededError, call_with_deadline


def _square_sum(values: np.ndarray, *, offset: int = 0) -> int:
    return int((values**2).sum()) + offset


def _sleep_forever() -> None:
    time.sleep(3600)


def _raise() -> None:
    raise ValueError("bad model")


def _die() -> None:
    os._exit(7)


def test_the_answer_comes_back_from_the_child():
    assert call_with_deadline(_square_sum, np.arange(4), offset=1, deadline_s=10.0) == 15


def test_a_call_past_its_deadline_is_killed_on_time():
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceededError, match=r"0\.30 s"):
        call_with_deadline(_sleep_forever, deadline_s=0.3)
    assert time.monotonic() - t0 < 1.3


def test_an_exception_in_the_child_names_its_type_and_message():
    with pytest.raises(ChildFailedError, match="ValueError: bad model"):
        call_with_deadline(_raise, deadline_s=10.0)


def test_a_child_that_dies_is_reported_not_waited_for():
    t0 = time.monotonic()
    with pytest.raises(ChildFailedError, match="died \\(exit code 7\\)"):
        call_with_deadline(_die, deadline_s=10.0)
    assert time.monotonic() - t0 < 5.0
