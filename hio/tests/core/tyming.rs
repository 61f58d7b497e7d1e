//! hio-core §7 scenarios 1–7: the time base (Tymist, tymth, Tymer, Timer,
//! MonoTimer, ISO-8601 helpers).

use std::cell::Cell;
use std::thread::sleep;
use std::time::Duration;

use chrono::Datelike;
use hio::tyming::{MonoTimer, Timer, from_iso8601, now_iso8601, to_iso8601};
use hio::{Doer, Error, Result, Tymer, Tymist};

use crate::util::TryDoer;

#[test]
fn core_s1_tymist_basics() {
    let mut tymist = Tymist::default();
    assert_eq!(tymist.tyme(), 0.0);
    assert_eq!(tymist.tock(), 0.03125);
    assert_eq!(Tymist::TOCK, 0.03125);
    tymist.set_tock(1.0);
    tymist.tick();
    assert_eq!(tymist.tyme(), 1.0);
    tymist.tick_by(0.75);
    assert_eq!(tymist.tyme(), 1.75);
    tymist.set_tock(0.5);
    tymist.tick();
    assert_eq!(tymist.tyme(), 2.25);

    let mut tymist = Tymist::new(2.0, 0.25);
    assert_eq!((tymist.tyme(), tymist.tock()), (2.0, 0.25));
    tymist.tick();
    assert_eq!(tymist.tyme(), 2.25);
    tymist.tick_by(0.75);
    assert_eq!(tymist.tyme(), 3.0);
    tymist.set_tock(0.5);
    tymist.tick();
    assert_eq!(tymist.tyme(), 3.5);

    // A tymth is a live view: it always reads the current tyme.
    let tymth = tymist.tymen();
    assert_eq!(tymth.tyme(), tymist.tyme());
    tymist.tick();
    assert_eq!(tymth.tyme(), tymist.tyme());
    let g = tymth.clone();
    assert_eq!(g.tyme(), tymist.tyme());
    tymist.tick();
    assert_eq!(g.tyme(), tymist.tyme());
    assert_eq!(g.tyme(), 4.5);
}

#[test]
fn core_s2_tymee_winding() {
    // Rust has no Tymee class: anything that reads a clock keeps the Tymth
    // it was wound to through `Doer::wind`. The test doer stands in for a
    // Tymee (its `tyme()` is `None` until wound).
    let mut tymee = TryDoer::stop(3);
    assert!(tymee.tymth().is_none());
    assert_eq!(tymee.tyme(), None);

    let mut tymist = Tymist::new(0.0, 1.0);
    tymee.wind(&tymist.tymen());
    assert_eq!(tymee.tyme(), Some(0.0));
    tymist.tick();
    assert_eq!(tymee.tyme(), Some(1.0));

    // Python re-points through the `tymth` setter; Rust winds again.
    let mut tymist = Tymist::new(0.0, 0.5);
    tymee.wind(&tymist.tymen());
    assert_eq!(tymee.tyme(), Some(0.0));
    tymist.tick();
    assert_eq!(tymee.tyme(), Some(0.5));

    let mut tymist = Tymist::new(0.0, 0.25);
    tymee.wind(&tymist.tymen());
    assert_eq!(tymee.tyme(), Some(0.0));
    tymist.tick();
    assert_eq!(tymee.tyme(), Some(0.25));
    tymist.tick();
    assert_eq!(tymee.tyme(), Some(0.5));
    tymist.set_tock(1.0);
    tymist.tick();
    assert_eq!(tymee.tyme(), Some(1.5));
    assert!(tymee.tymth().unwrap().same_clock(&tymist.tymen()));
}

/// (duration, elapsed, remaining, expired)
fn state(tymer: &Tymer) -> (f64, f64, f64, bool) {
    (
        tymer.duration(),
        tymer.elapsed(),
        tymer.remaining(),
        tymer.expired(),
    )
}

#[test]
fn core_s3_tymer_life_cycle() {
    let mut tymist = Tymist::default();
    let mut tymer = Tymer::new(&tymist.tymen(), 0.0);
    assert_eq!(tymer.tyme(), 0.0);
    assert_eq!(state(&tymer), (0.0, 0.0, 0.0, true));

    tymist.set_tock(0.25);
    tymer.start(Some(1.0), None);
    assert_eq!(state(&tymer), (1.0, 0.0, 1.0, false));

    tymist.tick();
    assert_eq!(tymer.tyme(), 0.25);
    assert_eq!(state(&tymer), (1.0, 0.25, 0.75, false));

    tymist.tick();
    tymist.tick();
    assert_eq!(tymer.tyme(), 0.75);
    assert_eq!(state(&tymer), (1.0, 0.75, 0.25, false));

    tymist.tick();
    assert_eq!(tymer.tyme(), 1.0);
    assert_eq!(state(&tymer), (1.0, 1.0, 0.0, true));

    tymist.tick();
    assert_eq!(tymer.tyme(), 1.25);
    assert_eq!(state(&tymer), (1.0, 1.25, -0.25, true));

    // Lossless restart: the new period starts at the old stop (1.0).
    tymer.restart(None);
    assert_eq!(state(&tymer), (1.0, 0.25, 0.75, false));

    tymist.set_tyme(2.0);
    assert_eq!(state(&tymer), (1.0, 1.0, 0.0, true));

    tymer.restart(Some(0.25));
    assert_eq!(state(&tymer), (0.25, 0.0, 0.25, false));

    tymist.tick();
    assert_eq!(state(&tymer), (0.25, 0.25, 0.0, true));
}

#[test]
fn core_s4_tymer_explicit_start_and_rewind() {
    let mut tymist = Tymist::new(0.0, 1.0);
    let mut tymer = Tymer::with_start(&tymist.tymen(), 1.0, 0.25);
    assert_eq!(tymer.tyme(), 0.0);
    assert_eq!(state(&tymer), (1.0, -0.25, 1.25, false));
    tymist.tick();
    assert_eq!(tymer.tyme(), 1.0);
    assert_eq!(state(&tymer), (1.0, 0.75, 0.25, false));
    tymist.tick();
    assert_eq!(tymer.tyme(), 2.0);
    assert_eq!(state(&tymer), (1.0, 1.75, -0.75, true));

    // Winding re-binds the clock and restarts at the new clock's tyme.
    let mut tymist = Tymist::new(5.0, 0.125);
    tymer.wind(&tymist.tymen());
    assert_eq!(tymer.tyme(), 5.0);
    assert!(!tymer.expired());
    assert_eq!(tymer.start_tyme(), 5.0);
    assert_eq!(tymer.stop_tyme(), 6.0);
    tymist.tick();
    assert_eq!(tymer.tyme(), 5.125);

    // An unwound Tymer starts at 0.0; winding makes it read the new clock.
    let mut tymer = Tymer::default();
    assert_eq!(tymer.start_tyme(), 0.0);
    assert_eq!(tymer.duration(), 0.0);
    let tymist = Tymist::default();
    tymer.wind(&tymist.tymen());
    assert_eq!(tymer.tyme(), tymist.tyme());
}

#[test]
fn core_s5_timer() {
    // Timer reads the wall clock directly (no injectable clock), so this
    // test sleeps; every "not expired yet" check runs right after a restart
    // against a 0.125 s period, and every "expired" check follows a sleep
    // longer than the time left.
    let timer = Timer::new(0.0);
    sleep(Duration::from_millis(1));
    assert_eq!(timer.duration(), 0.0);
    assert!(timer.elapsed() > 0.0);
    assert!(timer.remaining() < 0.0);
    assert!(timer.expired());

    let mut timer = timer;
    timer.restart(Some(0.125));
    assert_eq!(timer.duration(), 0.125);
    assert!(timer.elapsed() > 0.0);
    assert!(timer.remaining() > 0.0);
    assert!(!timer.expired());
    sleep(Duration::from_millis(130));
    assert!(timer.expired());

    timer.start(Some(0.125), None);
    assert_eq!(timer.duration(), 0.125);
    assert!(timer.elapsed() < 0.125);
    assert!(timer.remaining() > 0.0);
    assert!(!timer.expired());
    sleep(Duration::from_millis(130));
    assert!(timer.expired());

    let timer = Timer::new(0.125);
    assert!(timer.elapsed() >= 0.0);
    assert!(timer.remaining() > 0.0);
    assert!(!timer.expired());
    sleep(Duration::from_millis(130));
    assert!(timer.expired());

    // A future start: elapsed negative, remaining beyond the duration.
    let timer = Timer::with_start(0.125, hio::tyming::wall_now() + 0.05);
    assert_eq!(timer.duration(), 0.125);
    assert!(timer.elapsed() < 0.0);
    assert!(timer.remaining() > 0.125);
    assert!(!timer.expired());
    sleep(Duration::from_millis(180));
    assert!(timer.expired());

    // A past start: less than 0.075 s left.
    let timer = Timer::with_start(0.125, hio::tyming::wall_now() - 0.05);
    assert!(timer.elapsed() > 0.0);
    assert!(timer.remaining() < 0.075);
    assert!(!timer.expired());
    sleep(Duration::from_millis(80));
    assert!(timer.expired());
}

thread_local! {
    /// The fake wall clock read by [`fake_now`] (each test has its thread).
    static NOW: Cell<f64> = const { Cell::new(1000.0) };
}

fn fake_now() -> f64 {
    NOW.get()
}

fn set_now(t: f64) {
    NOW.set(t);
}

fn advance(dt: f64) {
    NOW.set(NOW.get() + dt);
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn core_s6_monotimer_retrograde() -> Result<()> {
    // A fake clock (exact binary fractions) replaces the sleeps of HIO's
    // test_monotimer; the relations asserted are the spec's.
    set_now(1000.0);
    let mut timer = MonoTimer::with_clock(0.0, None, true, fake_now);
    assert_eq!(timer.duration(), 0.0);
    advance(0.0078125);
    assert_eq!(timer.elapsed()?, 0.0078125);
    assert_eq!(timer.remaining()?, -0.0078125);
    assert!(timer.expired()?);

    // Lossless restart from the old stop (1000.0).
    timer.restart(Some(0.125));
    assert_eq!(timer.duration(), 0.125);
    assert_eq!(timer.elapsed()?, 0.0078125);
    assert_eq!(timer.remaining()?, 0.1171875);
    assert!(!timer.expired()?);
    advance(0.125);
    assert!(timer.expired()?);

    timer.start(Some(0.125), None);
    assert_eq!(timer.duration(), 0.125);
    assert!(timer.elapsed()? < 0.125);
    assert!(timer.remaining()? > 0.0);
    assert!(!timer.expired()?);
    advance(0.125);
    assert!(timer.expired()?);

    let mut timer = MonoTimer::with_clock(0.125, None, true, fake_now);
    advance(0.0078125);
    assert!(timer.elapsed()? > 0.0);
    assert!(timer.remaining()? > 0.0);
    assert!(!timer.expired()?);
    advance(0.125);
    assert!(timer.expired()?);

    // A future start. Quirk §8.20 fixed on purpose: Python collapses it to
    // "now" (elapsed ≈ 0); the port honours it, so the relations are
    // Timer's, as s6 states: elapsed < 0, remaining > duration.
    let now = fake_now();
    let mut timer = MonoTimer::with_clock(0.125, Some(now + 0.0625), true, fake_now);
    assert!(timer.elapsed()? <= 0.0);
    assert_eq!(timer.elapsed()?, -0.0625);
    assert_eq!(timer.remaining()?, 0.1875);
    assert!(!timer.expired()?);
    advance(0.1875);
    assert!(timer.expired()?);

    // A past start.
    let now = fake_now();
    let mut timer = MonoTimer::with_clock(0.125, Some(now - 0.0625), true, fake_now);
    assert!(timer.elapsed()? > 0.0);
    assert!(timer.remaining()? < 0.075);
    assert!(!timer.expired()?);
    advance(0.0625);
    assert!(timer.expired()?);

    // Retrograde: the last reading is 0.05 s ahead of the clock (HIO's test
    // sets `_last = _start + 0.05`; here the timer is built while the clock
    // reads start + 0.05 and the clock then steps back to start).
    let start = fake_now();
    set_now(start + 0.05);
    let mut timer = MonoTimer::with_clock(0.125, Some(start), false, fake_now);
    assert!(!timer.retro());
    set_now(start);
    match timer.elapsed() {
        Err(Error::Retrograde { by }) => assert!(close(by, 0.05), "by {by}"),
        other => panic!("expected Retrograde, got {other:?}"),
    }

    set_now(start + 0.05);
    let mut timer = MonoTimer::with_clock(0.125, Some(start), true, fake_now);
    set_now(start);
    // start and stop shift back by 0.05.
    let elapsed = timer.elapsed()?;
    assert!(elapsed > 0.0 && close(elapsed, 0.05), "elapsed {elapsed}");
    let remaining = timer.remaining()?;
    assert!(
        remaining > 0.0 && close(remaining, 0.075),
        "remaining {remaining}"
    );
    assert!(!timer.expired()?);
    advance(0.125);
    assert!(timer.expired()?);
    Ok(())
}

#[test]
fn core_s7_iso8601() -> Result<()> {
    let dts = "2020-08-22T20:34:41.687702+00:00";
    let dt = from_iso8601(dts)?;
    assert_eq!((dt.year(), dt.month(), dt.day()), (2020, 8, 22));
    // Bytes parse too (HIO's test meant to check this but parsed the str
    // twice, quirk §8.24).
    let dtb = from_iso8601(b"2020-08-22T20:34:41.687702+00:00".as_slice())?;
    assert_eq!(dtb, dt);

    let dts1 = now_iso8601();
    let dt1 = from_iso8601(&dts1)?;
    sleep(Duration::from_millis(1));
    let dts2 = now_iso8601();
    let dt2 = from_iso8601(&dts2)?;
    assert!(dt2 > dt1);
    assert_eq!(to_iso8601(&dt1), dts1);
    assert_eq!(to_iso8601(&dt2), dts2);
    assert_eq!(dts1.len(), 32);
    assert!(dts1.ends_with("+00:00"));
    sleep(Duration::from_millis(1));
    let dt3 = from_iso8601(to_iso8601(&hio::tyming::now_utc()))?;
    assert!(dt3 > dt2);
    assert!((dt3 - dt2).num_microseconds().unwrap() > 0);

    let dt4 = dt + chrono::Duration::seconds(25);
    let dts4 = to_iso8601(&dt4);
    assert_eq!(dts4, "2020-08-22T20:35:06.687702+00:00");
    assert_eq!((from_iso8601(&dts4)? - dt).num_seconds(), 25);

    // Zero microseconds still print six digits.
    let dts = "2021-01-01T00:00:00.000000+00:00";
    assert_eq!(to_iso8601(&from_iso8601(dts)?), dts);
    Ok(())
}
