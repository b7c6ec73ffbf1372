"""Working calendars (`sim.core.calendar.Calendar`): arithmetic on the clock in working hours.

Time is in hours since Monday 00:00 of week 0. Work pauses outside working hours and resumes at
the next shift. The office calendar is 08:30-17:30, Monday to Friday: 9 h a day, 45 h a week.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.core.calendar import Calendar
from sim.params.calendar import DAY_NAMES, WorkingHours, evenings_and_weekends, office_hours, round_the_clock

WEEK = 168.0
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def at(day: str, hour: float, week: int = 0) -> float:
    """The clock time of that day and hour (local clock) in that week."""
    return week * WEEK + DAY_NAMES.index(day) * 24 + hour


@pytest.fixture
def office() -> Calendar:
    return Calendar(office_hours())


def test_the_office_calendar_is_45_hours_a_week(office):
    assert office.week_hours == 45
    assert office.worked(WEEK) == 45


# --------------------------------------------------------------------------- worked, at_worked


@pytest.mark.parametrize(("t", "hours"), [
    (at("mon", 0), 0),
    (at("mon", 8.5), 0),
    (at("mon", 10), 1.5),
    (at("mon", 17.5), 9),
    (at("mon", 20), 9),
    (at("tue", 9), 9.5),
    (at("sat", 12), 45),
    (at("mon", 9, week=1), 45.5),
    (at("wed", 12, week=3), 3 * 45 + 9 + 9 + 3.5),
])
def test_worked_counts_the_working_hours_since_time_zero(office, t, hours):
    assert office.worked(t) == pytest.approx(hours)


@pytest.mark.parametrize(("hours", "t"), [
    (1.5, at("mon", 10)),
    (9, at("mon", 17.5)),     # the end of Monday's shift, not Tuesday's start
    (9.5, at("tue", 9)),
    (45, at("fri", 17.5)),    # a whole week ends on Friday evening
    (45.5, at("mon", 9, week=1)),
    (90, at("fri", 17.5, week=1)),
])
def test_at_worked_is_the_earliest_time_by_which_that_many_hours_are_worked(office, hours, t):
    assert office.at_worked(hours) == pytest.approx(t)


def test_at_worked_of_no_hours_is_time_zero(office):
    assert office.at_worked(0) == 0


# --------------------------------------------------------------------------- finish


def test_an_hour_of_work_started_friday_at_17_finishes_monday_at_09_00(office):
    # half an hour before Friday's shift ends at 17:30, the other half from Monday 08:30
    assert office.finish(at("fri", 17), 1) == pytest.approx(at("mon", 9, week=1))


def test_an_hour_of_work_started_friday_at_17_30_finishes_monday_at_09_30(office):
    assert office.finish(at("fri", 17.5), 1) == pytest.approx(at("mon", 9.5, week=1))


@pytest.mark.parametrize(("start", "end"), [
    (at("tue", 20), at("wed", 10.5)),        # evening: starts at the next morning's shift
    (at("wed", 6), at("wed", 10.5)),         # early morning: the same day's shift
    (at("sat", 10), at("mon", 10.5, week=1)),  # weekend: Monday's shift
    (at("mon", 0), at("mon", 10.5)),
])
def test_work_started_off_shift_starts_at_the_next_shift(office, start, end):
    assert office.finish(start, 2) == pytest.approx(end)


def test_work_started_at_a_shift_start_that_fills_the_shift_finishes_at_its_end(office):
    assert office.finish(at("mon", 8.5), 9) == pytest.approx(at("mon", 17.5))


def test_work_started_at_a_shift_end_starts_at_the_next_shift(office):
    assert office.finish(at("mon", 17.5), 1) == pytest.approx(at("tue", 9.5))


def test_work_ending_at_a_friday_shift_end_finishes_then_not_after_the_weekend(office):
    assert office.finish(at("fri", 16.5), 1) == pytest.approx(at("fri", 17.5))


def test_work_of_several_weeks_skips_every_night_and_weekend(office):
    # 100 h from Monday 08:30: two full weeks (90 h), then 9 h on Monday and 1 h on Tuesday.
    assert office.finish(at("mon", 8.5), 100) == pytest.approx(at("tue", 9.5, week=2))


def test_work_started_in_a_later_week_finishes_in_its_own_week(office):
    # 5.5 h on Thursday afternoon, 4.5 h from Friday 08:30
    assert office.finish(at("thu", 12, week=7), 10) == pytest.approx(at("fri", 13, week=7))


@pytest.mark.parametrize("start", [
    at("mon", 0), at("mon", 12), at("mon", 20), at("sat", 12), at("mon", 0, week=1), at("mon", 3, week=2),
], ids=["mon-00-week0", "mon-12", "mon-20", "sat-12", "mon-00-week1", "mon-03-week2"])
def test_no_work_is_done_as_soon_as_it_starts(office, start):
    assert office.finish(start, 0) == start


# --------------------------------------------------------------------------- on_shift, next_start


@pytest.mark.parametrize(("t", "expected"), [
    (at("mon", 8.5), True),       # a shift's start is in it
    (at("mon", 17.5), False),     # its end is not
    (at("mon", 17.5 - 1e-9), True),
    (at("mon", 8.5 - 1e-9), False),
    (at("wed", 12), True),
    (at("wed", 3), False),
    (at("sat", 12), False),
    (at("sun", 23.99), False),
    (at("fri", 8.5, week=5), True),
])
def test_on_shift_holds_from_a_shift_start_until_just_before_its_end(office, t, expected):
    assert office.on_shift(t) is expected


@pytest.mark.parametrize(("t", "expected"), [
    (at("mon", 0), at("mon", 8.5)),
    (at("mon", 8.5), at("tue", 8.5)),          # strictly after t: a shift that has begun has begun
    (at("mon", 9), at("tue", 8.5)),
    (at("fri", 18), at("mon", 8.5, week=1)),
    (at("sun", 12, week=2), at("mon", 8.5, week=3)),
])
def test_next_start_is_the_first_shift_start_after_t(office, t, expected):
    assert office.next_start(t) == pytest.approx(expected)


# --------------------------------------------------------------------------- hours_between


def test_hours_between_counts_only_working_hours(office):
    assert office.hours_between(at("mon", 8), at("tue", 10)) == pytest.approx(9 + 1.5)


def test_hours_between_a_friday_evening_and_a_monday_morning_is_zero(office):
    assert office.hours_between(at("fri", 17.5), at("mon", 8.5, week=1)) == 0


def test_hours_between_is_zero_when_the_end_is_not_after_the_start(office):
    assert office.hours_between(at("tue", 12), at("tue", 12)) == 0
    assert office.hours_between(at("tue", 12), at("mon", 12)) == 0


# --------------------------------------------------------------------------- other calendars


def test_a_round_the_clock_calendar_works_every_hour():
    always = Calendar(round_the_clock())
    assert always.week_hours == WEEK
    assert always.worked(1000.25) == 1000.25
    assert always.at_worked(77.5) == 77.5
    assert always.finish(at("sat", 23), 5) == at("sun", 4)
    assert always.on_shift(at("sun", 3))
    assert always.hours_between(10, 30) == 20


def test_a_round_the_clock_calendar_has_no_next_shift_start():
    assert Calendar(round_the_clock()).next_start(at("wed", 12)) == math.inf


def test_overlapping_blocks_are_merged_into_one_shift():
    calendar = Calendar([WorkingHours(days=["mon"], start_h=8, end_h=12),
                         WorkingHours(days=["mon"], start_h=10, end_h=14)])
    assert calendar.week_hours == 6                                  # not 8: the overlap counts once
    assert calendar.finish(at("mon", 8), 6) == pytest.approx(at("mon", 14))
    assert calendar.next_start(at("mon", 9)) == pytest.approx(at("mon", 8, week=1))  # 10:00 is no shift start


def test_blocks_that_touch_are_one_shift():
    calendar = Calendar([WorkingHours(days=["tue"], start_h=8, end_h=12),
                         WorkingHours(days=["tue"], start_h=12, end_h=16)])
    assert calendar.on_shift(at("tue", 12))
    assert calendar.next_start(at("tue", 9)) == pytest.approx(at("tue", 8, week=1))


def test_a_block_on_some_days_merges_with_the_office_calendar_on_those_days():
    calendar = Calendar([*office_hours(), WorkingHours(days=["mon"], start_h=12, end_h=20)])
    assert calendar.week_hours == 45 + 2.5
    assert calendar.finish(at("mon", 19), 1) == pytest.approx(at("mon", 20))
    assert calendar.finish(at("tue", 17), 1) == pytest.approx(at("wed", 9))


@pytest.fixture
def nights() -> Calendar:
    """Night shifts 22:00-06:00, Monday night to Friday night, given as two blocks each."""
    return Calendar([WorkingHours(days=WEEKDAYS, start_h=22, end_h=24),
                     WorkingHours(days=["tue", "wed", "thu", "fri", "sat"], start_h=0, end_h=6)])


def test_an_overnight_shift_given_as_two_blocks_is_one_shift_through_midnight(nights):
    assert nights.week_hours == 40
    assert nights.on_shift(at("tue", 0))
    assert nights.finish(at("mon", 23), 2) == pytest.approx(at("tue", 1))   # no pause at midnight
    assert nights.next_start(at("mon", 23)) == pytest.approx(at("tue", 22))  # midnight is no shift start
    assert nights.finish(at("sat", 5), 2) == pytest.approx(at("mon", 23, week=1))


def test_an_overnight_shift_across_the_week_boundary_works_through_monday_midnight():
    sunday_nights = Calendar([WorkingHours(days=["sun"], start_h=22, end_h=24),
                              WorkingHours(days=["mon"], start_h=0, end_h=6)])
    assert sunday_nights.week_hours == 8
    assert sunday_nights.on_shift(at("mon", 0, week=1))
    assert sunday_nights.finish(at("sun", 23), 2) == pytest.approx(at("mon", 1, week=1))
    assert sunday_nights.hours_between(at("sun", 20), at("mon", 8, week=1)) == pytest.approx(8)


def test_monday_midnight_is_no_shift_start_when_a_shift_runs_through_it():
    sunday_nights = Calendar([WorkingHours(days=["sun"], start_h=22, end_h=24),
                              WorkingHours(days=["mon"], start_h=0, end_h=6)])
    assert sunday_nights.next_start(at("sun", 23)) == pytest.approx(at("sun", 22, week=1))


# --------------------------------------------------------------------------- properties

CALENDARS = {
    "office": office_hours(),
    "evenings_and_weekends": evenings_and_weekends(),
    "nights": [WorkingHours(days=WEEKDAYS, start_h=22, end_h=24),
               WorkingHours(days=["tue", "wed", "thu", "fri", "sat"], start_h=0, end_h=6)],
    "split_shift": [WorkingHours(days=WEEKDAYS, start_h=8, end_h=12), WorkingHours(days=WEEKDAYS, start_h=14, end_h=18),
                    WorkingHours(days=["sat"], start_h=9.25, end_h=11.75)],
    "sunday_only": [WorkingHours(days=["sun"], start_h=0.5, end_h=1.5)],
}

calendars = st.sampled_from(sorted(CALENDARS)).map(lambda name: Calendar(CALENDARS[name]))
times = st.floats(0, 52 * WEEK, allow_nan=False)
work = st.floats(0, 400, allow_nan=False)


@st.composite
def weekly_blocks(draw) -> list[WorkingHours]:
    """Any calendar: one to four blocks on random days, at quarter hours."""
    blocks = []
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, 95)) / 4
        end = draw(st.integers(int(start * 4) + 1, 96)) / 4
        days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
        blocks.append(WorkingHours(days=days, start_h=start, end_h=end))
    return blocks


@settings(max_examples=400, deadline=None)
@given(calendar=calendars, w=st.floats(0, 100 * 45, allow_nan=False))
def test_the_hours_worked_by_at_worked_w_are_w(calendar, w):
    assert calendar.worked(calendar.at_worked(w)) == pytest.approx(w, abs=1e-9)


@settings(max_examples=400, deadline=None)
@given(calendar=calendars, t=times, h=work)
def test_work_never_finishes_before_it_starts(calendar, t, h):
    assert calendar.finish(t, h) >= t


@settings(max_examples=400, deadline=None)
@given(calendar=calendars, t=times, h=work)
def test_the_working_hours_from_start_to_finish_are_the_work(calendar, t, h):
    assert calendar.hours_between(t, calendar.finish(t, h)) == pytest.approx(h, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(blocks=weekly_blocks(), t=times, h=work)
def test_any_calendar_finishes_work_after_exactly_its_working_hours(blocks, t, h):
    calendar = Calendar(blocks)
    end = calendar.finish(t, h)
    assert end >= t
    assert calendar.hours_between(t, end) == pytest.approx(h, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(blocks=weekly_blocks(), t=times, h=st.floats(1e-3, 400))
def test_positive_work_finishes_on_shift_or_at_a_shift_end(blocks, t, h):
    """Work is done while working: never in the middle of a night, always on shift or at a shift's end."""
    calendar = Calendar(blocks)
    assume(not calendar.always)
    end = calendar.finish(t, h)
    assert calendar.on_shift(end - 1e-7)


@settings(max_examples=300, deadline=None)
@given(blocks=weekly_blocks(), t=times)
def test_next_start_is_a_shift_start_after_t(blocks, t):
    calendar = Calendar(blocks)
    assume(not calendar.always)
    start = calendar.next_start(t)
    assert start > t
    assert calendar.on_shift(start)
    assert not calendar.on_shift(start - 1e-6)


@settings(max_examples=300, deadline=None)
@given(blocks=weekly_blocks(), t=times)
def test_off_shift_no_working_hour_passes_before_the_next_start(blocks, t):
    calendar = Calendar(blocks)
    assume(not calendar.always and not calendar.on_shift(t))
    assert calendar.hours_between(t, calendar.next_start(t)) == pytest.approx(0, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(calendar=st.sampled_from(["office", "evenings"]), t=st.floats(0, 60 * WEEK), work_h=st.floats(0, 200))
def test_finish_is_exactly_at_worked_of_worked_plus_the_work(calendar, t, work_h):
    """`finish` is inlined for speed; it must give the very float the two-step definition gives."""
    c = Calendar(office_hours() if calendar == "office" else evenings_and_weekends())
    assert c.finish(t, work_h) == max(t, c.at_worked(c.worked(t) + work_h))
