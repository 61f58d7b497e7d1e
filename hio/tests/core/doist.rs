//! hio-core §7 scenarios 18–28 and 35–40: the root scheduler, Doist.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;

use hio::doing::IntoDog;
use hio::{Co, Cx, DoDoer, Doer, Doist, Done, Error, Result, Tymist, doify};

use crate::util::{
    Journal, NEVER, NIL, Probe, TryDoer, Watch, deed_ids, ex_do, message, retymes, row,
};

#[test]
fn core_s18_empty_doist() -> Result<()> {
    let mut doist = Doist::default();
    assert_eq!(doist.tyme(), 0.0);
    assert_eq!(doist.tock(), 0.03125);
    assert_eq!(doist.name(), "doist");
    assert!(!doist.real());
    assert_eq!(doist.limit(), None);
    assert!(doist.doers().is_empty());
    assert_eq!(doist.done(), Done::NotRun);
    // `timer.duration == tock`: the port builds its pacing timer from the
    // current tock at the start of every run (quirk §8.4 fixed), so there
    // is no timer attribute to read.
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 0.03125);
    assert_eq!(doist.done(), Done::Complete);

    let mut doist = Doist::new(0.01)
        .with_name("mydoist")
        .with_tyme(1.0)
        .with_real(true)
        .with_limit(0.02);
    assert_eq!(doist.tyme(), 1.0);
    assert_eq!(doist.tock(), 0.01);
    assert_eq!(doist.name(), "mydoist");
    assert!(doist.real());
    assert_eq!(doist.limit(), Some(0.02));
    assert!(doist.doers().is_empty());
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 1.01);
    assert_eq!(doist.done(), Done::Complete);
    // Python calls the instance again (`doist()` is `do()`).
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 1.02);
    Ok(())
}

#[test]
fn core_s19_manual_stepping_two_doers() -> Result<()> {
    let mut doist = Doist::new(0.25);
    assert_eq!(
        (doist.tyme(), doist.tock(), doist.real(), doist.limit()),
        (0.0, 0.25, false, None)
    );
    let (a, pa) = TryDoer::ex().with_tock(0.25).watch();
    let (b, pb) = TryDoer::ex().with_tock(0.5).watch();
    let ha = doist.add(a);
    let hb = doist.add(b);

    doist.enter()?;
    assert_eq!(doist.deeds(), [(ha.id(), 0.0), (hb.id(), 0.0)]);
    assert_eq!(pa.rows(), [row(0.0, "enter", 0.0, 0)]);
    assert_eq!(pb.rows(), [row(0.0, "enter", 0.0, 0)]);
    assert_eq!(doist.done_of(ha), Done::Incomplete);
    assert_eq!(doist.done_of(hb), Done::Incomplete);

    doist.recur()?;
    assert_eq!(doist.tyme(), 0.25);
    assert_eq!(retymes(&doist.deeds()), [0.25, 0.5]);
    doist.recur()?;
    assert_eq!(doist.tyme(), 0.5);
    assert_eq!(retymes(&doist.deeds()), [0.5, 0.5]);
    doist.recur()?;
    assert_eq!(doist.tyme(), 0.75);
    assert_eq!(retymes(&doist.deeds()), [0.75, 1.0]);
    doist.recur()?;
    assert_eq!(doist.tyme(), 1.0);
    assert_eq!(doist.deeds(), [(hb.id(), 1.0)]);
    assert_eq!(
        pa.rows(),
        [
            row(0.0, "enter", 0.0, 0),
            row(0.0, "recur", 0.0, 1),
            row(0.25, "recur", 0.25, 2),
            row(0.5, "recur", 0.5, 3),
            row(0.75, "recur", 0.75, 4),
            row(0.75, "exit", NIL, 5),
        ]
    );
    assert_eq!(doist.done_of(ha), Done::Complete);

    doist.recur()?;
    assert_eq!(doist.tyme(), 1.25);
    assert_eq!(retymes(&doist.deeds()), [1.5]);
    doist.recur()?;
    assert_eq!(doist.tyme(), 1.5);
    assert_eq!(retymes(&doist.deeds()), [1.5]);
    doist.recur()?;
    assert_eq!(doist.tyme(), 1.75);
    assert!(doist.deeds().is_empty());
    assert_eq!(
        pb.rows(),
        [
            row(0.0, "enter", 0.0, 0),
            row(0.0, "recur", 0.0, 1),
            row(0.5, "recur", 0.5, 2),
            row(1.0, "recur", 1.0, 3),
            row(1.5, "recur", 1.5, 4),
            row(1.5, "exit", NIL, 5),
        ]
    );
    assert_eq!(doist.done_of(hb), Done::Complete);
    // Manual enter/recur never touch the Doist's own done (§8.17).
    assert_eq!(doist.done(), Done::NotRun);
    Ok(())
}

/// What a run of two ExDoers gave: the Doist's done and tyme, and each
/// doer's trace and done.
struct TwoRun {
    done: Done,
    tyme: f64,
    a: Vec<(&'static str, f64)>,
    a_done: Done,
    b: Vec<(&'static str, f64)>,
    b_done: Done,
}

/// Runs two ExDoers with tocks `ta`, `tb` in a Doist of tock 1/32 and
/// `limit`.
fn run_two_exdoers(ta: f64, tb: f64, limit: f64, real: bool) -> Result<TwoRun> {
    let mut doist = Doist::new(0.03125).with_limit(limit).with_real(real);
    let (a, pa) = TryDoer::ex().with_tock(ta).watch();
    let (b, pb) = TryDoer::ex().with_tock(tb).watch();
    let ha = doist.add(a);
    let hb = doist.add(b);
    let done = doist.run()?;
    Ok(TwoRun {
        done,
        tyme: doist.tyme(),
        a: pa.trace(),
        a_done: doist.done_of(ha),
        b: pb.trace(),
        b_done: doist.done_of(hb),
    })
}

#[test]
fn core_s20_class_doers_with_limit() -> Result<()> {
    // Python also runs this by calling the instance and with the doers given
    // to the constructor; Rust has one way to run and one way to add.
    for real in [false, true] {
        let TwoRun {
            done,
            tyme,
            a,
            a_done,
            b,
            b_done,
        } = run_two_exdoers(0.03125, 0.0625, 0.125, real)?;
        assert_eq!(tyme, 0.125);
        assert_eq!(done, Done::Incomplete);
        assert_eq!(
            a,
            [
                ("enter", 0.0),
                ("recur", 0.0),
                ("recur", 0.03125),
                ("recur", 0.0625),
                ("recur", 0.09375),
                ("exit", 0.09375),
            ]
        );
        assert_eq!(a_done, Done::Complete);
        assert_eq!(
            b,
            [
                ("enter", 0.0),
                ("recur", 0.0),
                ("recur", 0.0625),
                ("cease", 0.125),
                ("exit", 0.125)
            ]
        );
        assert_eq!(b_done, Done::Incomplete);
    }
    Ok(())
}

#[test]
fn core_s21_all_doers_asap() -> Result<()> {
    for real in [false, true] {
        let TwoRun {
            done,
            tyme,
            a,
            a_done,
            b,
            b_done,
        } = run_two_exdoers(0.0, 0.0, 0.125, real)?;
        let trace = [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 0.03125),
            ("recur", 0.0625),
            ("recur", 0.09375),
            ("exit", 0.09375),
        ];
        assert_eq!(a, trace);
        assert_eq!(b, trace);
        assert_eq!((a_done, b_done), (Done::Complete, Done::Complete));
        // The pass at 0.09375 empties the deeds; the tick gives 0.125.
        assert_eq!(tyme, 0.125);
        assert_eq!(done, Done::Complete);
    }
    Ok(())
}

#[test]
fn core_s22_low_limit_forced_close() -> Result<()> {
    for real in [false, true] {
        let TwoRun {
            done,
            tyme,
            a,
            a_done,
            b,
            b_done,
        } = run_two_exdoers(0.0, 0.0, 0.0625, real)?;
        let trace = [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 0.03125),
            ("cease", 0.0625),
            ("exit", 0.0625),
        ];
        assert_eq!(a, trace);
        assert_eq!(b, trace);
        assert_eq!((a_done, b_done), (Done::Incomplete, Done::Incomplete));
        assert_eq!(tyme, 0.0625);
        assert_eq!(done, Done::Incomplete);
    }
    Ok(())
}

#[test]
fn core_s23_generator_function_doers() -> Result<()> {
    let tock = 0.03125;
    for real in [false, true] {
        let mut doist = Doist::new(tock).with_real(real);
        let (gf0, p0) = ex_do(tock);
        let (gf1, p1) = ex_do(tock * 2.0);
        // Python builds the third from doizeExDo with tock 0 and then sets
        // its tock to 1/16; the Rust copy is built with 1/16 directly.
        let (gf2, p2) = ex_do(tock * 2.0);
        let hs = [
            doist.add(gf0).id(),
            doist.add(gf1).id(),
            doist.add(gf2).id(),
        ];
        doist.run_with(Some(tock * 4.0), None)?;
        assert_eq!(doist.tyme(), 0.125);
        assert_eq!(
            p0.rows(),
            [
                row(0.0, "enter", 0.0, 0),
                row(0.0, "recur", 0.0, 1),
                row(0.03125, "recur", 0.03125, 2),
                row(0.0625, "recur", 0.0625, 3),
                row(0.09375, "recur", 0.09375, 4),
                row(0.09375, "exit", NIL, 5),
            ]
        );
        let closed = [
            row(0.0, "enter", 0.0, 0),
            row(0.0, "recur", 0.0, 1),
            row(0.0625, "recur", 0.0625, 2),
            row(0.125, "cease", NIL, 3),
            row(0.125, "exit", NIL, 4),
        ];
        assert_eq!(p1.rows(), closed);
        assert_eq!(p2.rows(), closed);
        // gf1 and gf2 return True after handling the close (3.13+ rule).
        for h in hs {
            assert_eq!(doist.done_of(h), Done::Complete);
        }
    }

    // Low limit, all tocks 0.
    for real in [false, true] {
        let mut doist = Doist::new(tock).with_real(real).with_limit(tock * 2.0);
        let probes: Vec<Probe> = (0..3)
            .map(|_| {
                let (gf, p) = ex_do(0.0);
                doist.add(gf);
                p
            })
            .collect();
        doist.run()?;
        assert_eq!(doist.tyme(), 0.0625);
        for p in probes {
            assert_eq!(
                p.rows(),
                [
                    row(0.0, "enter", 0.0, 0),
                    row(0.0, "recur", 0.0, 1),
                    row(0.03125, "recur", 0.03125, 2),
                    row(0.0625, "cease", NIL, 3),
                    row(0.0625, "exit", NIL, 4),
                ]
            );
            assert_eq!(p.done(), Done::Complete);
        }
    }
    Ok(())
}

/// HIO's doized bound method `myDo`: steps while `x <= 3` (or forever),
/// adding 1 to `x` after each step, then returns True. Its "instance" is the
/// shared `x`; `steps` gets the tyme of every step.
fn my_do(x: Rc<Cell<u32>>, steps: Rc<RefCell<Vec<f64>>>, endless: bool) -> impl IntoDog {
    doify(move |co: Co| {
        let (x, steps) = (x.clone(), steps.clone());
        async move {
            while endless || x.get() <= 3 {
                let tyme = co.yield_tock(co.tock()).await?;
                steps.borrow_mut().push(tyme);
                x.set(x.get() + 1);
            }
            Ok::<_, Error>(true)
        }
    })
    // Python changes the doized tock from 0.25 to 0.2 through `__func__`.
    .with_tock(0.2)
}

#[test]
fn core_s24_doized_bound_methods() -> Result<()> {
    for (endless, x_end, steps_end, done_end, tyme_end) in [
        (
            false,
            4,
            vec![0.0, 0.21875, 0.40625],
            Done::Complete,
            0.4375,
        ),
        (
            true,
            6,
            vec![0.0, 0.21875, 0.40625, 0.625, 0.8125],
            Done::Incomplete,
            1.0,
        ),
    ] {
        // Directly in a Doist.
        let x = Rc::new(Cell::new(1));
        let steps = Rc::new(RefCell::new(Vec::new()));
        let probe = Probe::new();
        let mut doist = Doist::new(Tymist::TOCK).with_limit(1.0);
        doist.add(Watch::new(
            my_do(x.clone(), steps.clone(), endless),
            probe.clone(),
        ));
        doist.run()?;
        assert_eq!(*steps.borrow(), steps_end);
        assert_eq!(x.get(), x_end);
        assert_eq!(probe.done(), done_end);
        assert_eq!(doist.tyme(), tyme_end);

        // The same inside a DoDoer.
        x.set(1);
        steps.borrow_mut().clear();
        let probe = Probe::new();
        let mut dodoer = DoDoer::new();
        dodoer.add(Watch::new(
            my_do(x.clone(), steps.clone(), endless),
            probe.clone(),
        ));
        let mut doist = Doist::new(Tymist::TOCK).with_limit(1.0);
        doist.add(dodoer);
        doist.run()?;
        assert_eq!(*steps.borrow(), steps_end);
        assert_eq!(x.get(), x_end);
        assert_eq!(probe.done(), done_end);
        assert_eq!(doist.tyme(), tyme_end);
    }
    Ok(())
}

#[test]
fn core_s25_repeated_runs_and_extend() -> Result<()> {
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let (d0, p0) = TryDoer::stop(1).watch();
    let (d1, p1) = TryDoer::stop(2).watch();
    let (d2, p2) = TryDoer::stop(3).watch();
    let ids = [doist.add(d0).id(), doist.add(d1).id(), doist.add(d2).id()];
    assert_eq!(doist.limit(), Some(5.0));
    assert_eq!(doist.done(), Done::NotRun);
    assert_eq!(doist.doers(), ids);
    assert!(doist.deeds().is_empty());

    // do(limit=2), then do(tyme=0, limit=2) twice: the same each time.
    for tyme in [None, Some(0.0), Some(0.0)] {
        assert_eq!(doist.run_with(Some(2.0), tyme)?, Done::Incomplete);
        assert_eq!(doist.tyme(), 2.0);
        assert_eq!(doist.done(), Done::Incomplete);
        assert_eq!(
            (p0.done(), p1.done(), p2.done()),
            (Done::Complete, Done::Incomplete, Done::Incomplete)
        );
        assert!(doist.deeds().is_empty());
        assert_eq!(doist.doers(), ids);
    }
    assert_eq!(doist.limit(), Some(2.0));

    // Manual restart.
    doist.set_done(Done::Incomplete);
    doist.set_tyme(0.0);
    doist.enter()?;
    assert_eq!(doist.deed_count(), 3);
    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 2.0);
    assert_eq!(doist.done(), Done::Incomplete);
    assert_eq!(
        (p0.done(), p1.done(), p2.done()),
        (Done::Complete, Done::Incomplete, Done::Incomplete)
    );
    assert_eq!(doist.deed_count(), 2);

    let (d3, p3) = TryDoer::stop(1).watch();
    let (d4, p4) = TryDoer::stop(2).watch();
    let more = doist.extend([d3.boxed(), d4.boxed()])?;
    assert_eq!(doist.doers(), [ids[0], ids[1], ids[2], more[0], more[1]]);
    assert_eq!(deed_ids(&doist.deeds()), [ids[1], ids[2], more[0], more[1]]);

    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 4.0);
    assert_eq!(doist.done(), Done::Incomplete);
    assert_eq!(
        [p0.done(), p1.done(), p2.done(), p3.done(), p4.done()],
        [
            Done::Complete,
            Done::Complete,
            Done::Complete,
            Done::Complete,
            Done::Incomplete
        ]
    );
    assert_eq!(doist.deed_count(), 1);

    doist.exit()?;
    assert_eq!(p4.done(), Done::Incomplete);
    assert_eq!(doist.done(), Done::Incomplete); // as set by hand
    assert!(doist.deeds().is_empty());

    // Quirk §8.14 fixed on purpose: in Python a manual enter followed by
    // do() enters every doer twice (duplicate dogs). The port enters only
    // the doers not already running.
    let journal = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(2.0);
    doist.add(TryDoer::stop(NEVER).named(&journal, "a"));
    doist.enter()?;
    assert_eq!(doist.deed_count(), 1);
    doist.run()?;
    assert_eq!(journal.who("enter"), ["a"]);
    assert_eq!(journal.who("recur"), ["a", "a"]);
    assert_eq!(journal.who("exit"), ["a"]);
    Ok(())
}

/// Five TryDoers with stops 1, 2, 3, 2, 3, named d0..d4 in `journal`.
fn five_trydoers(journal: &Journal) -> Vec<(Watch<TryDoer>, Probe)> {
    let names = ["d0", "d1", "d2", "d3", "d4"];
    [1, 2, 3, 2, 3]
        .into_iter()
        .zip(names)
        .map(|(stop, name)| TryDoer::stop(stop).named(journal, name).watch())
        .collect()
}

#[test]
fn core_s26_doist_remove() -> Result<()> {
    let journal = Journal::new();
    // Python passes always=True, which Doist ignores (§8.18).
    let mut doist = Doist::new(1.0);
    let (ids, probes): (Vec<_>, Vec<_>) = five_trydoers(&journal)
        .into_iter()
        .map(|(d, p)| (doist.add(d).id(), p))
        .unzip();
    assert_eq!(doist.doers(), ids);
    assert!(probes.iter().all(|p| p.done() == Done::NotRun));
    assert_eq!(doist.done(), Done::NotRun);

    doist.enter()?;
    assert_eq!(doist.done(), Done::NotRun);
    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 2.0);
    let done: Vec<Done> = probes.iter().map(Probe::done).collect();
    assert_eq!(
        done,
        [
            Done::Complete,
            Done::Incomplete,
            Done::Incomplete,
            Done::Incomplete,
            Done::Incomplete
        ]
    );
    assert_eq!(deed_ids(&doist.deeds()), ids[1..]);

    journal.clear();
    doist.remove(&[ids[0], ids[1], ids[3]])?;
    assert_eq!(doist.doers(), [ids[2], ids[4]]);
    assert_eq!(deed_ids(&doist.deeds()), [ids[2], ids[4]]);
    // d3 then d1 are closed (reverse of their deque order).
    assert_eq!(journal.who("cease"), ["d3", "d1"]);
    assert_eq!(journal.who("exit"), ["d3", "d1"]);
    assert_eq!(
        (probes[1].done(), probes[3].done()),
        (Done::Incomplete, Done::Incomplete)
    );
    assert_eq!(
        (doist.done_of(ids[2]), doist.done_of(ids[4])),
        (Done::Incomplete, Done::Incomplete)
    );

    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 4.0);
    assert_eq!(doist.done(), Done::NotRun);
    assert!(doist.deeds().is_empty());
    assert_eq!(doist.doers().len(), 2);
    let done: Vec<Done> = probes.iter().map(Probe::done).collect();
    assert_eq!(
        done,
        [
            Done::Complete,
            Done::Incomplete,
            Done::Complete,
            Done::Incomplete,
            Done::Complete
        ]
    );

    // Further passes only advance tyme.
    journal.clear();
    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 6.0);
    assert!(journal.events().is_empty());
    Ok(())
}

/// HIO's `removeDo`: on its first step removes `targets` (or, when `None`,
/// every doer of its scheduler, itself included), then yields twice more
/// and returns True.
fn remove_do(targets: Option<Vec<hio::DoerId>>) -> impl IntoDog {
    doify(move |co: Co| {
        let targets = targets.clone();
        async move {
            co.yield_tock(0.0).await?; // enter
            // The removed doers come back; they are dropped here.
            let _removed = match targets {
                Some(ids) => co.remove(ids).await?,
                None => {
                    co.with_cx(|cx: &mut Cx<'_>| {
                        let all = cx.doers();
                        cx.remove(&all)
                    })
                    .await??
                }
            };
            co.yield_tock(0.0).await?;
            co.yield_tock(0.0).await?;
            Ok::<_, Error>(true)
        }
    })
}

#[test]
fn core_s27_remove_by_own_doer() -> Result<()> {
    let journal = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let (ids, probes): (Vec<_>, Vec<_>) = five_trydoers(&journal)
        .into_iter()
        .map(|(d, p)| (doist.add(d).id(), p))
        .unzip();
    let rp = Probe::new();
    let hr = doist.add(Watch::new(remove_do(Some(ids.clone())), rp.clone()));
    assert_eq!(doist.doers().len(), 6);
    assert!(doist.contains(hr));
    assert_eq!(doist.done(), Done::NotRun);
    assert!(doist.deeds().is_empty());

    doist.enter()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 1.0);
    assert_eq!(doist.doers(), [hr.id()]);
    assert_eq!(deed_ids(&doist.deeds()), [hr.id()]);
    assert_eq!(journal.who("recur"), ["d0", "d1", "d2", "d3", "d4"]);
    assert_eq!(journal.who("cease"), ["d4", "d3", "d2", "d1", "d0"]);
    assert_eq!(journal.who("exit"), ["d4", "d3", "d2", "d1", "d0"]);
    assert!(
        journal
            .without(&["enter", "recur", "cease", "exit"])
            .is_empty()
    );
    assert!(probes.iter().all(|p| p.done() == Done::Incomplete));
    assert_eq!(doist.done(), Done::NotRun);

    doist.recur()?;
    assert_eq!(doist.tyme(), 2.0);
    assert_eq!(doist.doers(), [hr.id()]);
    assert_eq!(deed_ids(&doist.deeds()), [hr.id()]);

    doist.recur()?;
    assert_eq!(doist.tyme(), 3.0);
    assert!(doist.deeds().is_empty());
    assert_eq!(doist.doers(), [hr.id()]);
    assert_eq!(doist.done_of(hr), Done::Complete);
    assert_eq!(rp.done(), Done::Complete);
    assert_eq!(doist.done(), Done::NotRun);
    Ok(())
}

#[test]
fn core_s28_remove_including_itself() -> Result<()> {
    let journal = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let probes: Vec<Probe> = five_trydoers(&journal)
        .into_iter()
        .map(|(d, p)| {
            doist.add(d);
            p
        })
        .collect();
    let rp = Probe::new();
    let hr = doist.add(Watch::new(remove_do(None), rp.clone()));

    doist.enter()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 1.0);
    // It left the doer list, but its deed survives: it was running.
    assert!(doist.doers().is_empty());
    assert!(!doist.contains(hr));
    assert_eq!(deed_ids(&doist.deeds()), [hr.id()]);
    assert_eq!(journal.who("cease"), ["d4", "d3", "d2", "d1", "d0"]);
    assert!(probes.iter().all(|p| p.done() == Done::Incomplete));
    assert_eq!(rp.done(), Done::Incomplete);

    doist.recur()?;
    assert_eq!(doist.tyme(), 2.0);
    assert_eq!(deed_ids(&doist.deeds()), [hr.id()]);
    assert!(doist.doers().is_empty());

    doist.recur()?;
    assert_eq!(doist.tyme(), 3.0);
    assert!(doist.deeds().is_empty());
    // It finished on its own. (Rust then frees it, so its done is read from
    // the probe.)
    assert_eq!(rp.done(), Done::Complete);
    assert_eq!(doist.done(), Done::NotRun);
    Ok(())
}

fn value_error() -> Error {
    Error::doer("ValueError")
}

#[test]
fn core_s35_exception_mid_pass() -> Result<()> {
    let j = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let (a, pa) = TryDoer::stop(NEVER).named(&j, "a").watch();
    let (b, pb) = TryDoer::stop(NEVER)
        .named(&j, "b")
        .failing_on(2, value_error)
        .watch();
    let (c, pc) = TryDoer::stop(NEVER).named(&j, "c").watch();
    doist.add(a);
    doist.add(b);
    doist.add(c);
    let err = doist.run().unwrap_err();
    assert_eq!(message(&err), "ValueError");
    assert_eq!(
        j.events(),
        [
            ("a", "enter", 0.0),
            ("b", "enter", 0.0),
            ("c", "enter", 0.0),
            ("a", "recur", 0.0),
            ("b", "recur", 0.0),
            ("c", "recur", 0.0),
            ("a", "recur", 1.0),
            ("b", "recur", 1.0),
            ("b", "abort", 1.0),
            ("b", "exit", 1.0),
            ("a", "cease", 1.0),
            ("a", "exit", 1.0),
            ("c", "cease", 1.0),
            ("c", "exit", 1.0),
        ]
    );
    assert_eq!(doist.done(), Done::Incomplete);
    assert_eq!(
        (pa.done(), pb.done(), pc.done()),
        (Done::Incomplete, Done::Incomplete, Done::Incomplete)
    );
    assert_eq!(doist.tyme(), 1.0); // no tick after the failing pass
    assert!(doist.deeds().is_empty());

    // Nested: w, D = [x, y, z], v; y fails on its 2nd recur. (Python's
    // DoDoer has no rows of its own; the journaling hooks show where its
    // abort and exit run. Its exit hook runs after it closed its children.)
    let j = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let mut d = DoDoer::with_hooks(crate::util::Hooks::new(&j, "D"));
    d.add(TryDoer::stop(NEVER).named(&j, "x"));
    d.add(
        TryDoer::stop(NEVER)
            .named(&j, "y")
            .failing_on(2, value_error),
    );
    d.add(TryDoer::stop(NEVER).named(&j, "z"));
    doist.add(TryDoer::stop(NEVER).named(&j, "w"));
    let hd = doist.add(d);
    doist.add(TryDoer::stop(NEVER).named(&j, "v"));
    let err = doist.run().unwrap_err();
    assert_eq!(message(&err), "ValueError");
    assert_eq!(
        j.without(&["enter", "recur"]),
        [
            ("y", "abort", 1.0),
            ("y", "exit", 1.0),
            ("D", "abort", 1.0),
            ("x", "cease", 1.0),
            ("x", "exit", 1.0),
            ("z", "cease", 1.0),
            ("z", "exit", 1.0),
            ("D", "exit", 1.0),
            ("w", "cease", 1.0),
            ("w", "exit", 1.0),
            ("v", "cease", 1.0),
            ("v", "exit", 1.0),
        ]
    );
    assert_eq!(doist.done_of(hd), Done::Incomplete);
    assert_eq!(doist.tyme(), 1.0);

    // Quirk §8.10 fixed on purpose: Python leaves a stale pass marker in the
    // deque, so a caller that catches the error and keeps calling recur()
    // gets truncated passes (Python runs c@1 then only a@2; c is skipped at
    // 2). The port removes the marker: at tyme 1 only c is due (a already
    // ran, its retyme is 2), and at 2 both run.
    let j = Journal::new();
    let mut doist = Doist::new(1.0);
    doist.add(TryDoer::stop(NEVER).named(&j, "a"));
    doist.add(
        TryDoer::stop(NEVER)
            .named(&j, "b")
            .failing_on(2, value_error),
    );
    doist.add(TryDoer::stop(NEVER).named(&j, "c"));
    doist.enter()?;
    doist.recur()?;
    assert!(doist.recur().is_err());
    j.clear();
    doist.recur()?;
    doist.recur()?;
    assert_eq!(
        j.events(),
        [
            ("c", "recur", 1.0),
            ("c", "recur", 2.0),
            ("a", "recur", 2.0)
        ]
    );
    assert_eq!(doist.tyme(), 3.0);
    doist.exit()?;

    // Quirk §8.12 fixed on purpose: in Python an error in one doer's exit
    // during the forced close stops the sweep and leaves the rest unclosed.
    // The port closes every deed and returns the first error.
    let j = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(1.0);
    doist.add(TryDoer::stop(NEVER).named(&j, "a"));
    doist.add(TryDoer::stop(NEVER).named(&j, "b").failing_in_exit());
    doist.add(TryDoer::stop(NEVER).named(&j, "c"));
    let err = doist.run().unwrap_err();
    assert_eq!(message(&err), "exit failed");
    assert_eq!(j.who("exit"), ["c", "b", "a"]);
    assert!(doist.deeds().is_empty());
    Ok(())
}

#[test]
fn core_s36_keyboard_interrupt_mid_pass() -> Result<()> {
    // Python's KeyboardInterrupt is a doer returning Error::Interrupted.
    let j = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let mut probes = Vec::new();
    for (name, doer) in [
        ("a", TryDoer::stop(NEVER)),
        (
            "b",
            TryDoer::stop(NEVER).failing_on(2, || Error::Interrupted),
        ),
        ("c", TryDoer::stop(NEVER)),
        ("e", TryDoer::stop(NEVER)),
    ] {
        let (d, p) = doer.named(&j, name).watch();
        doist.add(d);
        probes.push(p);
    }
    // run() returns normally.
    assert_eq!(doist.run()?, Done::Incomplete);
    assert_eq!(
        j.without(&["enter"]),
        [
            ("a", "recur", 0.0),
            ("b", "recur", 0.0),
            ("c", "recur", 0.0),
            ("e", "recur", 0.0),
            ("a", "recur", 1.0),
            ("b", "recur", 1.0),
            // b runs exit only: no abort, no cease.
            ("b", "exit", 1.0),
            // then a (already ran this pass), then e, c.
            ("a", "cease", 1.0),
            ("a", "exit", 1.0),
            ("e", "cease", 1.0),
            ("e", "exit", 1.0),
            ("c", "cease", 1.0),
            ("c", "exit", 1.0),
        ]
    );
    assert_eq!(doist.done(), Done::Incomplete);
    assert!(probes.iter().all(|p| p.done() == Done::Incomplete));
    assert_eq!(doist.tyme(), 1.0);
    Ok(())
}

#[test]
fn core_s37_limit_arithmetic() -> Result<()> {
    // The spec's "stop-k" doers here complete on their k-th recur (the only
    // reading its tymes allow), i.e. TryDoer::stop(k - 1).

    // limit 2: passes at 0 and 1, closed at 2.
    let mut doist = Doist::new(1.0).with_limit(2.0);
    let (d, p) = TryDoer::stop(NEVER).watch();
    doist.add(d);
    assert_eq!(doist.run()?, Done::Incomplete);
    assert_eq!(
        p.trace(),
        [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 1.0),
            ("cease", 2.0),
            ("exit", 2.0)
        ]
    );
    assert_eq!(doist.tyme(), 2.0);

    // limit 2.5: passes at 0, 1, 2, closed at 3.
    let mut doist = Doist::new(1.0).with_limit(2.5);
    let (d, p) = TryDoer::stop(NEVER).watch();
    doist.add(d);
    assert_eq!(doist.run()?, Done::Incomplete);
    assert_eq!(p.recur_tymes(), [0.0, 1.0, 2.0]);
    assert_eq!(p.trace()[4..], [("cease", 3.0), ("exit", 3.0)]);
    assert_eq!(doist.tyme(), 3.0);

    // limit 0: no limit; a stop-3 doer completes.
    let mut doist = Doist::new(1.0).with_limit(0.0);
    assert_eq!(doist.limit(), Some(0.0));
    let (d, p) = TryDoer::stop(2).watch();
    doist.add(d);
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(p.recur_tymes(), [0.0, 1.0, 2.0]);
    assert_eq!(doist.tyme(), 3.0);

    // limit -2: stored as 2.
    let mut doist = Doist::new(1.0).with_limit(-2.0);
    assert_eq!(doist.limit(), Some(2.0));
    doist.add(TryDoer::stop(NEVER));
    assert_eq!(doist.run()?, Done::Incomplete);
    assert_eq!(doist.tyme(), 2.0);

    // A stop-2 doer with limit 2 completes at 1: the completion check comes
    // before the limit check.
    let mut doist = Doist::new(1.0).with_limit(2.0);
    let (d, p) = TryDoer::stop(1).watch();
    doist.add(d);
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(p.trace().last(), Some(&("exit", 1.0)));
    assert_eq!(p.done(), Done::Complete);
    assert_eq!(doist.tyme(), 2.0);

    // tock 0.05, limit 0.5: ten additions give 0.49999999999999994 < 0.5,
    // so 11 passes run. Simulated, then real (about 0.55 s of wall time).
    for real in [false, true] {
        let mut doist = Doist::new(0.05).with_limit(0.5).with_real(real);
        let (d, p) = TryDoer::stop(NEVER).watch();
        doist.add(d);
        let began = Instant::now();
        assert_eq!(doist.run()?, Done::Incomplete);
        assert_eq!(p.recur_tymes().len(), 11);
        assert_eq!(p.recur_tymes()[10], 0.49999999999999994);
        assert_eq!(doist.tyme(), 0.5499999999999999);
        if real {
            // Every pass waits out its tock: 11 × 0.05 s (loose bound).
            assert!(
                began.elapsed().as_secs_f64() >= 0.5,
                "{:?}",
                began.elapsed()
            );
        }
    }
    Ok(())
}

/// A doer whose recur sets its tock to 1.0 after its first step and to 0
/// after every later one; `runs` gets the tyme of every recur.
struct Shifty {
    tock: f64,
    runs: Rc<RefCell<Vec<f64>>>,
}

impl Doer for Shifty {
    fn tock(&self) -> f64 {
        self.tock
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        self.tock = if self.runs.borrow().is_empty() {
            1.0
        } else {
            0.0
        };
        self.runs.borrow_mut().push(cx.tyme());
        Ok(false)
    }
}

#[test]
fn core_s38_retyme_arithmetic() -> Result<()> {
    // Doist tock 0.25, doer tock 0.1: runs every tick; its retyme lags.
    // (The spec's "0.3" is the f64 sum 0.1 + 0.1 + 0.1.)
    let mut doist = Doist::new(0.25);
    let (d, p) = TryDoer::stop(NEVER).with_tock(0.1).watch();
    doist.add(d);
    doist.enter()?;
    let mut seen = Vec::new();
    for _ in 0..5 {
        doist.recur()?;
        seen.push(retymes(&doist.deeds())[0]);
    }
    assert_eq!(seen, [0.1, 0.2, 0.30000000000000004, 0.4, 0.5]);
    assert_eq!(p.recur_tymes(), [0.0, 0.25, 0.5, 0.75, 1.0]);

    // Doer tock 0.3: phase-locks to the grid, skipping 0.25 and 1.75.
    let mut doist = Doist::new(0.25);
    let (d, p) = TryDoer::stop(NEVER).with_tock(0.3).watch();
    doist.add(d);
    doist.enter()?;
    for _ in 0..8 {
        doist.recur()?;
    }
    assert_eq!(doist.tyme(), 2.0);
    assert_eq!(p.recur_tymes(), [0.0, 0.5, 0.75, 1.0, 1.25, 1.5]);

    // A recur that changes the tock changes the very next retyme.
    let runs = Rc::new(RefCell::new(Vec::new()));
    let mut doist = Doist::new(0.25);
    doist.add(Shifty {
        tock: 0.0,
        runs: runs.clone(),
    });
    doist.enter()?;
    doist.recur()?;
    assert_eq!(retymes(&doist.deeds()), [1.0]);
    for _ in 0..6 {
        doist.recur()?;
    }
    assert_eq!(*runs.borrow(), [0.0, 1.0, 1.25, 1.5]);

    // Doist tock 0.1, doer tock 0.2: at 0.6 its retyme is
    // 0.6000000000000001, so it runs at 0.7.
    let mut doist = Doist::new(0.1);
    let (d, p) = TryDoer::stop(NEVER).with_tock(0.2).watch();
    doist.add(d);
    doist.enter()?;
    for _ in 0..8 {
        doist.recur()?;
    }
    assert_eq!(p.recur_tymes(), [0.0, 0.2, 0.4, 0.7]);

    // A generator yielding None, -0.5, 2.0, 0: a negative tock moves the
    // retyme back (quirk §8.7). Rust yields 0.0 for None.
    let mut doist = Doist::new(1.0);
    doist.add(doify(|co: Co| async move {
        co.yield_tock(0.0).await?; // priming
        for tock in [0.0, -0.5, 2.0, 0.0] {
            co.yield_tock(tock).await?;
        }
        Ok::<_, Error>(true)
    }));
    doist.enter()?;
    let mut seen = Vec::new();
    for _ in 0..4 {
        doist.recur()?;
        seen.push(retymes(&doist.deeds())[0]);
    }
    assert_eq!(seen, [1.0, 0.5, 2.5, 4.0]);
    Ok(())
}

#[test]
fn core_s39_mid_pass_extend_and_temp() -> Result<()> {
    let j = Journal::new();
    let mut doist = Doist::new(1.0).with_limit(4.0);
    // Python's a extends [n1, n2, a]; extend filters out a, already listed.
    // A Rust doer cannot hand itself over (the scheduler owns it), so a
    // extends only the new doers; a is not entered again.
    let mut pending = Some(vec![
        TryDoer::stop(1).named(&j, "n1").boxed(),
        TryDoer::stop(NEVER).named(&j, "n2").boxed(),
    ]);
    let a = TryDoer::stop(NEVER).named(&j, "a").on_recur(move |n, cx| {
        if n == 1
            && let Some(new) = pending.take()
        {
            cx.extend(new)?;
        }
        Ok(())
    });
    let ha = doist.add(a);
    let hb = doist.add(TryDoer::stop(NEVER).named(&j, "b"));
    assert_eq!(doist.run()?, Done::Incomplete);
    assert_eq!(
        j.events(),
        [
            ("a", "enter", 0.0),
            ("b", "enter", 0.0),
            ("a", "recur", 0.0),
            // entered at once, during a's step
            ("n1", "enter", 0.0),
            ("n2", "enter", 0.0),
            ("b", "recur", 0.0),
            // first run at tyme 1; pass order n1, n2, a, b
            ("n1", "recur", 1.0),
            ("n2", "recur", 1.0),
            ("a", "recur", 1.0),
            ("b", "recur", 1.0),
            ("n1", "recur", 2.0),
            ("n1", "clean", 2.0),
            ("n1", "exit", 2.0),
            ("n2", "recur", 2.0),
            ("a", "recur", 2.0),
            ("b", "recur", 2.0),
            ("n2", "recur", 3.0),
            ("a", "recur", 3.0),
            ("b", "recur", 3.0),
            // exit order b, a, n2
            ("b", "cease", 4.0),
            ("b", "exit", 4.0),
            ("a", "cease", 4.0),
            ("a", "exit", 4.0),
            ("n2", "cease", 4.0),
            ("n2", "exit", 4.0),
        ]
    );
    let doers = doist.doers();
    assert_eq!(doers.len(), 4);
    assert_eq!(doers[..2], [ha.id(), hb.id()]);

    // Quirk §8.2 fixed on purpose: in Python one doer with temp forces temp
    // on every later doer of the same enter (p None, q True, r True). The
    // port gives each doer the scheduler's temp or its own.
    let mut doist = Doist::new(1.0);
    let (p, pp) = TryDoer::stop(0).watch();
    let (q, pq) = TryDoer::stop(0).with_temp(true).watch();
    let (r, pr) = TryDoer::stop(0).watch();
    doist.add(p);
    doist.add(q);
    doist.add(r);
    doist.enter()?;
    assert_eq!(
        (pp.temp(), pq.temp(), pr.temp()),
        (Some(false), Some(true), Some(false))
    );
    doist.exit()?;

    // The same inside a DoDoer.
    let mut dodoer = DoDoer::new();
    let (p, pp) = TryDoer::stop(0).watch();
    let (q, pq) = TryDoer::stop(0).with_temp(true).watch();
    let (r, pr) = TryDoer::stop(0).watch();
    dodoer.add(p);
    dodoer.add(q);
    dodoer.add(r);
    let mut doist = Doist::new(1.0);
    doist.add(dodoer);
    doist.run()?;
    assert_eq!(
        (pp.temp(), pq.temp(), pr.temp()),
        (Some(false), Some(true), Some(false))
    );

    // A Doist with temp gives every doer temp...
    let mut doist = Doist::new(1.0).with_temp(true);
    let (p, pp) = TryDoer::stop(0).watch();
    let (q, pq) = TryDoer::stop(0).watch();
    doist.add(p);
    doist.add(q);
    doist.run()?;
    assert_eq!((pp.temp(), pq.temp()), (Some(true), Some(true)));
    // ...but extend enters without the Doist's temp (§5.7).
    let (s, ps) = TryDoer::stop(0).watch();
    doist.extend([s.boxed()])?;
    assert_eq!(ps.temp(), Some(false));
    Ok(())
}

#[test]
fn core_s40_completion_during_enter() -> Result<()> {
    // A generator function that returns True before its first yield.
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    let mut doist = Doist::new(0.5);
    let h = doist.add(doify(move |co: Co| {
        let l = l.clone();
        async move {
            l.borrow_mut().push(("enter", co.tyme()));
            Ok::<_, Error>(true)
        }
    }));
    doist.enter()?;
    assert_eq!(*log.borrow(), [("enter", 0.0)]);
    assert!(doist.deeds().is_empty());
    assert_eq!(doist.done_of(h), Done::Complete);
    // A Doist with only that doer runs one pass: tyme 1 × tock.
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 0.5);
    assert_eq!(doist.done_of(h), Done::Complete);

    // A Doer whose enter sets done (Rust: `is_done` true after enter):
    // enter, clean and exit run during enter.
    let j = Journal::new();
    let mut doist = Doist::new(0.5);
    let (d, p) = TryDoer::stop(NEVER).done_in_enter().named(&j, "d").watch();
    let h = doist.add(d);
    doist.enter()?;
    assert_eq!(
        j.events(),
        [("d", "enter", 0.0), ("d", "clean", 0.0), ("d", "exit", 0.0)]
    );
    assert_eq!(
        p.rows(),
        [row(0.0, "enter", "Default", 0), row(0.0, "exit", NIL, 1)]
    );
    assert!(doist.deeds().is_empty());
    assert_eq!(doist.done_of(h), Done::Complete);
    let mut doist = Doist::new(0.5);
    let (d, p) = TryDoer::stop(NEVER).done_in_enter().watch();
    doist.add(d);
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 0.5);
    assert_eq!(p.done(), Done::Complete);

    // A generator that falls off its end (returns None) completes, but its
    // done stays False; likewise one that returns None before its first
    // yield.
    let mut doist = Doist::new(0.5);
    let h1 = doist.add(doify(|co: Co| async move {
        co.yield_tock(0.0).await?;
        Ok::<_, Error>(None::<bool>)
    }));
    let h2 = doist.add(doify(|_co: Co| async move { Ok::<_, Error>(None::<bool>) }));
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 0.5);
    assert_eq!(doist.done_of(h1), Done::Incomplete);
    assert_eq!(doist.done_of(h2), Done::Incomplete);
    Ok(())
}
