//! hio-core §7 scenarios 8–17: doers stepped by hand (HIO's tests drive the
//! generator with `send`/`next`/`close`/`throw`; here a `Stepper` does).
//!
//! Python's tests send strings ("Hello", "Hi", …) into `recur`. Rust sends
//! `f64` tymes, so each string is replaced by a distinct sentinel tyme: the
//! rows still show that a recur's feed is the value sent, not the clock.

use std::cell::RefCell;
use std::rc::Rc;

use hio::doing::{Completion, Dog, IntoDog, Next, Stepper};
use hio::{Co, Cx, DoDoer, Doer, Done, Error, Result, Tymist, doify};

use crate::util::{NIL, TryDoer, ex_do, message, row, try_do};

const HELLO: f64 = 101.0;
const HI: f64 = 102.0;
const BLUE: f64 = 103.0;
const RED: f64 = 104.0;
const WHAT: f64 = 105.0;

/// HIO's base `Doer`: `recur` returns `False`, so it never completes.
struct Base {
    tock: f64,
}

impl Doer for Base {
    fn tock(&self) -> f64 {
        self.tock
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        Ok(false)
    }
}

#[test]
fn core_s8_doer_manual_stepping() -> Result<()> {
    let tymist = Tymist::default();
    let mut stepper = Stepper::new(&tymist.tymen());
    let mut dog = Base { tock: 1.0 }.into_dog();
    assert_eq!(dog.doer().tock(), 1.0);
    dog.doer_mut().tock = 0.0;
    assert_eq!(dog.doer().tock(), 0.0);

    // send, then close
    dog.set_done(Done::Incomplete); // what Doist.enter does
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(0.0));
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(0.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Incomplete));
    assert_eq!(dog.done(), Done::Incomplete);
    // Python: StopIteration with value None.
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));

    // next instead of send
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Incomplete));
    assert_eq!(dog.done(), Done::Incomplete);
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));

    // Python passes `tock=1.0` to the generator and it overwrites the
    // attribute. A Rust dog takes no tock argument: the doer's own `tock()`
    // is read at every yield, so the nearest case is a doer whose tock is 1.
    dog.doer_mut().tock = 1.0;
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Incomplete));
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));

    // Doer.tock is stored as abs(): a negative tock yields its magnitude.
    dog.doer_mut().tock = -1.0;
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Incomplete));

    // `Doer(opts=…, extra='stuff')`: Rust has no opts dict or ignored
    // keyword arguments; a doer that defines only `recur` gets the defaults
    // (tock 0, temp false, not done).
    struct Plain;
    impl Doer for Plain {
        fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
            Ok(false)
        }
    }
    assert_eq!(Plain.tock(), 0.0);
    assert!(!Plain.temp());
    assert!(!Plain.is_done());
    assert_eq!(Plain.into_dog().done(), Done::NotRun);
    Ok(())
}

/// HIO's `ReDoer`: a generator `recur` that yields its tock three times and
/// returns `True`; the code before its first yield runs during enter. In
/// Rust it is a coroutine doer. `log` gets `("setup", tyme)` at enter and
/// `("step", tyme)` per step.
fn redoer(tock: f64, log: Rc<RefCell<Vec<(&'static str, f64)>>>) -> impl Dog + IntoDog {
    doify(move |co: Co| {
        let log = log.clone();
        async move {
            log.borrow_mut().push(("setup", co.tyme()));
            let mut count = 0;
            while count < 3 {
                let tyme = co.yield_tock(co.tock()).await?;
                count += 1;
                log.borrow_mut().push(("step", tyme));
            }
            Ok::<_, Error>(true)
        }
    })
    .with_tock(tock)
}

#[test]
fn core_s9_redoer_manual_stepping() -> Result<()> {
    let mut tymist = Tymist::default();
    let mut stepper = Stepper::new(&tymist.tymen());
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut dog = redoer(0.0, log.clone());
    dog.set_done(Done::Incomplete);

    // Python: sending a non-None value to a just-started generator raises
    // TypeError and leaves it unstarted. Rust: resuming a dog that was never
    // started does nothing and gives Done(None); it can still be started.
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Done(None));
    assert!(log.borrow().is_empty());
    assert_eq!(tymist.tyme(), 0.0);

    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(*log.borrow(), [("setup", 0.0)]);
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Tock(0.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Tock(0.0));
    tymist.tick();
    // Third step after priming: StopIteration with value True.
    assert_eq!(
        stepper.send(&mut dog, tymist.tyme())?,
        Next::Done(Some(Done::Complete))
    );
    // Python's ReDoer writes `done` itself; a coroutine's `done` is written
    // by its scheduler, which the test plays here.
    dog.set_done(Done::Complete);
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Done(None));

    // A new run without resetting done (still True): close gives back the
    // prior done. Rust: close returns None ("leave done as it is") and done
    // stays Complete.
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Tock(0.0));
    assert_eq!(stepper.close(&mut dog)?, None);
    assert_eq!(dog.done(), Done::Complete);
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Done(None));

    // With done reset to False: two next() (prime, one step), then close.
    dog.set_done(Done::Incomplete);
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.close(&mut dog)?, None);
    assert_eq!(dog.done(), Done::Incomplete);
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, tymist.tyme())?, Next::Done(None));
    Ok(())
}

#[test]
fn core_s10_redoer_under_doist() -> Result<()> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut doist = hio::Doist::new(1.0);
    let h = doist.add(redoer(1.0, log.clone()));
    assert_eq!(doist.run_with(Some(4.0), None)?, Done::Complete);
    // Setup before the first yield runs during enter; steps at 0, 1, 2; it
    // completes on the third step, before the limit.
    assert_eq!(
        *log.borrow(),
        [("setup", 0.0), ("step", 0.0), ("step", 1.0), ("step", 2.0)]
    );
    assert_eq!(doist.tyme(), 3.0);
    assert_eq!(doist.done(), Done::Complete);
    assert_eq!(doist.done_of(h), Done::Complete);
    Ok(())
}

#[test]
fn core_s11_dodoer_manual_stepping() -> Result<()> {
    assert_eq!(DoDoer::new().tock(), 0.0);
    assert_eq!(DoDoer::new().with_tock(1.0).tock(), 1.0);

    let mut tymist = Tymist::default();
    let mut stepper = Stepper::new(&tymist.tymen());

    // Empty DoDoer: completes on its first step.
    let mut dodoer = DoDoer::new();
    assert_eq!(dodoer.done(), Done::NotRun);
    assert_eq!(stepper.start(&mut dodoer)?, Next::Tock(0.0));
    assert!(dodoer.doers().is_empty());
    tymist.tick();
    assert_eq!(
        stepper.send(&mut dodoer, tymist.tyme())?,
        Next::Done(Some(Done::Complete))
    );
    tymist.tick();
    assert_eq!(stepper.send(&mut dodoer, tymist.tyme())?, Next::Done(None));

    // With three base doers. Python passes them to the call (`doers=`) and
    // they show in `dodoer.doers` only at priming; Rust lists them when
    // added and enters them at start.
    let mut dodoer = DoDoer::new();
    let kids = [
        dodoer.add(Base { tock: 0.0 }),
        dodoer.add(Base { tock: 0.0 }),
        dodoer.add(Base { tock: 0.0 }),
    ];
    dodoer.set_done(Done::Incomplete);
    assert_eq!(dodoer.doers(), kids.map(|h| h.id()));
    assert!(dodoer.deeds().is_empty());
    assert_eq!(stepper.start(&mut dodoer)?, Next::Tock(0.0));
    assert_eq!(dodoer.deeds().len(), 3);
    tymist.tick();
    assert_eq!(stepper.send(&mut dodoer, tymist.tyme())?, Next::Tock(0.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dodoer, tymist.tyme())?, Next::Tock(0.0));
    assert_eq!(stepper.close(&mut dodoer)?, Some(Done::Incomplete));
    assert_eq!(dodoer.done(), Done::Incomplete);
    assert!(dodoer.deeds().is_empty());
    for kid in kids {
        assert_eq!(dodoer.done_of(kid), Done::Incomplete);
    }
    tymist.tick();
    assert_eq!(stepper.send(&mut dodoer, tymist.tyme())?, Next::Done(None));
    Ok(())
}

#[test]
fn core_s12_trydoer_normal_completion() -> Result<()> {
    let mut tymist = Tymist::new(0.0, 0.125);
    let mut stepper = Stepper::new(&tymist.tymen());
    let (mut dog, p) = TryDoer::stop(3).with_tock(0.25).watch();
    dog.set_done(Done::Incomplete);

    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.25));
    assert_eq!(p.rows(), [row(0.0, "enter", "Default", 0)]);
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(0.25));
    assert_eq!(p.rows().last(), Some(&row(0.0, "recur", HELLO, 1)));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(0.25));
    assert_eq!(p.rows().last(), Some(&row(0.125, "recur", HI, 2)));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, BLUE)?, Next::Tock(0.25));
    assert_eq!(p.rows().last(), Some(&row(0.25, "recur", BLUE, 3)));
    tymist.tick();
    assert_eq!(
        stepper.send(&mut dog, RED)?,
        Next::Done(Some(Done::Complete))
    );
    let rows = vec![
        row(0.0, "enter", "Default", 0),
        row(0.0, "recur", HELLO, 1),
        row(0.125, "recur", HI, 2),
        row(0.25, "recur", BLUE, 3),
        row(0.375, "recur", RED, 4),
        row(0.375, "exit", NIL, 5),
    ];
    assert_eq!(p.rows(), rows);
    assert_eq!(dog.done(), Done::Complete);

    tymist.tick();
    assert_eq!(stepper.send(&mut dog, RED)?, Next::Done(None));
    assert_eq!(p.rows(), rows);
    Ok(())
}

#[test]
fn core_s13_trydoer_close() -> Result<()> {
    let mut tymist = Tymist::new(0.0, 0.125);
    let mut stepper = Stepper::new(&tymist.tymen());
    let (mut dog, p) = TryDoer::stop(3).with_tock(0.25).watch();
    dog.set_done(Done::Incomplete);

    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.25));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(0.25));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(0.25));
    tymist.tick();
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Incomplete));
    assert_eq!(dog.done(), Done::Incomplete);
    let rows = vec![
        row(0.0, "enter", "Default", 0),
        row(0.0, "recur", HELLO, 1),
        row(0.125, "recur", HI, 2),
        row(0.25, "cease", NIL, 3),
        row(0.25, "exit", NIL, 4),
    ];
    assert_eq!(p.rows(), rows);

    tymist.tick();
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    assert_eq!(p.rows(), rows);
    Ok(())
}

#[test]
fn core_s14_trydoer_throw() -> Result<()> {
    let mut tymist = Tymist::new(0.0, 0.125);
    let mut stepper = Stepper::new(&tymist.tymen());
    let (mut dog, p) = TryDoer::stop(3).with_tock(0.25).watch();
    dog.set_done(Done::Incomplete);

    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.25));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(0.25));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(0.25));
    tymist.tick();
    // Python throws ValueError("Bad"); the same error comes back out.
    let err = stepper.throw(&mut dog, Error::doer("Bad")).unwrap_err();
    assert_eq!(message(&err), "Bad");
    let rows = vec![
        row(0.0, "enter", "Default", 0),
        row(0.0, "recur", HELLO, 1),
        row(0.125, "recur", HI, 2),
        row(0.25, "abort", "Bad", 3),
        row(0.25, "exit", NIL, 4),
    ];
    assert_eq!(p.rows(), rows);

    tymist.tick();
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    assert_eq!(p.rows(), rows);
    Ok(())
}

#[test]
fn core_s15_trydo_generator_function() -> Result<()> {
    // break: yields its count 0, 1, 2, 3, then completes.
    let mut tymist = Tymist::new(0.0, 0.125);
    let mut stepper = Stepper::new(&tymist.tymen());
    let (mut dog, p) = try_do();
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(p.rows(), [row(0.0, "enter", "Default", 0)]);
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(1.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(2.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, BLUE)?, Next::Tock(3.0));
    tymist.tick();
    assert_eq!(
        stepper.send(&mut dog, RED)?,
        Next::Done(Some(Done::Complete))
    );
    let rows = vec![
        row(0.0, "enter", "Default", 0),
        row(0.0, "recur", HELLO, 1),
        row(0.125, "recur", HI, 2),
        row(0.25, "recur", BLUE, 3),
        row(0.375, "recur", RED, 4),
        row(0.375, "exit", RED, 5),
    ];
    assert_eq!(p.rows(), rows);
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, RED)?, Next::Done(None));
    assert_eq!(p.rows(), rows);

    // close at 0.25 after "Hi": returns True.
    let mut tymist = Tymist::new(0.0, 0.125);
    let mut stepper = Stepper::new(&tymist.tymen());
    let (mut dog, p) = try_do();
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(1.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(2.0));
    tymist.tick();
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Complete));
    let rows = vec![
        row(0.0, "enter", "Default", 0),
        row(0.0, "recur", HELLO, 1),
        row(0.125, "recur", HI, 2),
        row(0.25, "cease", HI, 3),
        row(0.25, "exit", HI, 4),
    ];
    assert_eq!(p.rows(), rows);
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    assert_eq!(p.rows(), rows);

    // throw at 0.25 after "Hi": the error comes back out.
    let mut tymist = Tymist::new(0.0, 0.125);
    let mut stepper = Stepper::new(&tymist.tymen());
    let (mut dog, p) = try_do();
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(1.0));
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(2.0));
    tymist.tick();
    let err = stepper.throw(&mut dog, Error::doer("Bad")).unwrap_err();
    assert_eq!(message(&err), "Bad");
    let rows = vec![
        row(0.0, "enter", "Default", 0),
        row(0.0, "recur", HELLO, 1),
        row(0.125, "recur", HI, 2),
        row(0.25, "abort", HI, 3),
        row(0.25, "exit", HI, 4),
    ];
    assert_eq!(p.rows(), rows);
    tymist.tick();
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    assert_eq!(p.rows(), rows);
    Ok(())
}

#[test]
fn core_s16_doize_exdo_manual() -> Result<()> {
    let tymist = Tymist::default();
    let mut stepper = Stepper::new(&tymist.tymen());

    // tock 0.0 (doizeExDo's attribute), send "Hello", "Hi", then close.
    let (mut dog, p) = ex_do(0.0);
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(0.0));
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(0.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Complete));
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    let rows = vec![
        row(0.0, "enter", 0.0, 0),
        row(0.0, "recur", HELLO, 1),
        row(0.0, "recur", HI, 2),
        row(0.0, "cease", NIL, 3),
        row(0.0, "exit", NIL, 4),
    ];
    assert_eq!(p.rows(), rows);

    // tock 1.0: every yield is 1.0.
    let (mut dog, p) = ex_do(1.0);
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.send(&mut dog, HELLO)?, Next::Tock(1.0));
    assert_eq!(stepper.send(&mut dog, HI)?, Next::Tock(1.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Complete));
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    assert_eq!(p.rows(), rows);

    // next() instead of send: Python feeds None; Rust's `next` sends the
    // clock's tyme, so the feeds are 0.0.
    let (mut dog, p) = ex_do(1.0);
    assert_eq!(stepper.start(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.next(&mut dog)?, Next::Tock(1.0));
    assert_eq!(stepper.close(&mut dog)?, Some(Done::Complete));
    assert_eq!(stepper.send(&mut dog, WHAT)?, Next::Done(None));
    assert_eq!(
        p.rows(),
        [
            row(0.0, "enter", 0.0, 0),
            row(0.0, "recur", 0.0, 1),
            row(0.0, "recur", 0.0, 2),
            row(0.0, "cease", NIL, 3),
            row(0.0, "exit", NIL, 4),
        ]
    );
    Ok(())
}

/// A generator-method's return value (`yield self.name`): any type with a
/// `Completion` can be a coroutine's output.
#[derive(Debug, PartialEq)]
struct Name(String);

impl Completion for Name {
    fn completion(&self) -> Option<Done> {
        Some(Done::Complete)
    }
}

/// `genfun` of HIO's test_doify: yields its tock once.
async fn genfun(co: Co) -> Result<()> {
    co.yield_tock(co.tock()).await?;
    Ok(())
}

#[test]
fn core_s17_doify_attributes() -> Result<()> {
    // Two doify copies of one generator function: distinct doers, each with
    // its own tock, done (NotRun = None), temp (false; Python None) and
    // output. Rust has no function names or opts dicts.
    let mut gf0 = doify(genfun).with_tock(0.25);
    let gf1 = doify(genfun).with_tock(0.125);
    assert_eq!(gf0.tock(), 0.25);
    assert_eq!(gf1.tock(), 0.125);
    assert_eq!(Dog::done(&gf0), Done::NotRun);
    assert_eq!(Dog::done(&gf1), Done::NotRun);
    assert!(!Dog::temp(&gf0));
    assert!(!Dog::temp(&gf1));
    assert!(gf0.output().is_none());
    // doify stores the tock as given: no float/abs conversion (§3.1).
    assert_eq!(doify(genfun).with_tock(-0.5).tock(), -0.5);

    // Each copy runs independently and yields its own tock.
    let tymist = Tymist::default();
    let mut stepper = Stepper::new(&tymist.tymen());
    let mut gf1 = gf1;
    assert_eq!(stepper.start(&mut gf0)?, Next::Tock(0.25));
    assert_eq!(stepper.start(&mut gf1)?, Next::Tock(0.125));
    assert_eq!(stepper.next(&mut gf0)?, Next::Done(Some(Done::Complete)));
    assert!(gf0.output().is_some());
    assert!(gf1.output().is_none());
    assert!(gf1.is_active());

    // "Bound methods": a doify copy per instance, each closing over its own
    // instance. Python shows that `done` written through one copy's
    // `__func__` does not reach another instance's copy, and that `doize`
    // on a method shares one attribute dict between all instances (the
    // "doize problem") and rejects writes through the bound method. A Rust
    // doer owns its attributes, so neither sharing nor AttributeError can
    // happen; what is tested is the per-copy independence.
    struct A {
        name: String,
    }
    let method = |a: Rc<A>| {
        doify(move |co: Co| {
            let a = a.clone();
            async move {
                co.yield_tock(co.tock()).await?;
                Ok::<_, Error>(Name(a.name.clone()))
            }
        })
        .with_tock(0.5)
    };
    let a = Rc::new(A { name: "hi".into() });
    let b = Rc::new(A { name: "ho".into() });
    let mut a_dgf = method(a);
    let mut b_dgf = method(b);
    assert_eq!(Dog::done(&a_dgf), Done::NotRun);
    a_dgf.set_done(Done::Complete);
    assert_eq!(Dog::done(&a_dgf), Done::Complete);
    assert_eq!(Dog::done(&b_dgf), Done::NotRun);
    b_dgf.set_done(Done::Incomplete);
    assert_eq!(Dog::done(&b_dgf), Done::Incomplete);
    assert_eq!(Dog::done(&a_dgf), Done::Complete);
    assert_eq!(a_dgf.tock(), 0.5);
    assert_eq!(b_dgf.tock(), 0.5);

    assert_eq!(stepper.start(&mut a_dgf)?, Next::Tock(0.5));
    assert_eq!(stepper.next(&mut a_dgf)?, Next::Done(Some(Done::Complete)));
    assert_eq!(a_dgf.output(), Some(&Name("hi".into())));
    assert_eq!(stepper.start(&mut b_dgf)?, Next::Tock(0.5));
    assert_eq!(stepper.next(&mut b_dgf)?, Next::Done(Some(Done::Complete)));
    assert_eq!(b_dgf.output(), Some(&Name("ho".into())));
    Ok(())
}
