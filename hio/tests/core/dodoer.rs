//! hio-core §7 scenarios 29–32: nested schedulers, DoDoer.

use hio::doing::IntoDog;
use hio::{Co, Cx, DoDoer, DoerId, Doist, Done, Error, Result, doify};

use crate::util::{Journal, Probe, TryDoer, Watch, deed_ids};

#[test]
fn core_s29_nested_dodoers() -> Result<()> {
    let tock = 0.03125;
    let mut doist = Doist::new(tock).with_limit(tock * 8.0);

    let (a0, pa0) = TryDoer::ex().with_tock(0.0).watch();
    let (a1, pa1) = TryDoer::ex().with_tock(tock * 2.0).watch();
    let mut a = DoDoer::new();
    a.add(a0);
    a.add(a1);
    assert_eq!(a.done(), Done::NotRun);

    let (b0, pb0) = TryDoer::ex().with_tock(0.0).watch();
    let (b1, pb1) = TryDoer::ex().with_tock(tock * 4.0).watch();
    let mut b = DoDoer::new().with_tock(tock * 2.0);
    b.add(b0);
    b.add(b1);

    let ha = doist.add(a);
    let hb = doist.add(b);
    assert_eq!(doist.run()?, Done::Incomplete);
    assert_eq!(doist.tyme(), 0.25);

    assert_eq!(
        pa0.trace(),
        [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 0.03125),
            ("recur", 0.0625),
            ("recur", 0.09375),
            ("exit", 0.09375),
        ]
    );
    assert_eq!(
        pa1.trace(),
        [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 0.0625),
            ("recur", 0.125),
            ("recur", 0.1875),
            ("exit", 0.1875),
        ]
    );
    // b0 yields 0, so it runs each time B runs (B's tock, quirk §8.8).
    assert_eq!(
        pb0.trace(),
        [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 0.0625),
            ("recur", 0.125),
            ("recur", 0.1875),
            ("exit", 0.1875),
        ]
    );
    assert_eq!(
        pb1.trace(),
        [
            ("enter", 0.0),
            ("recur", 0.0),
            ("recur", 0.125),
            ("cease", 0.25),
            ("exit", 0.25)
        ]
    );
    assert_eq!(doist.done_of(ha), Done::Complete);
    assert_eq!(doist.done_of(hb), Done::Incomplete);
    assert_eq!(
        [pa0.done(), pa1.done(), pb0.done(), pb1.done()],
        [
            Done::Complete,
            Done::Complete,
            Done::Complete,
            Done::Incomplete
        ]
    );
    Ok(())
}

#[test]
fn core_s30_dodoer_always() -> Result<()> {
    let mut d = DoDoer::new().with_tock(1.0);
    let (c0, p0) = TryDoer::stop(1).watch();
    let (c1, p1) = TryDoer::stop(2).watch();
    let (c2, p2) = TryDoer::stop(3).watch();
    let h0 = d.add(c0);
    let h1 = d.add(c1);
    let h2 = d.add(c2);
    assert_eq!(d.tock(), 1.0);
    assert_eq!(d.doers(), [h0.id(), h1.id(), h2.id()]);
    assert!(!d.always());
    let probes = [&p0, &p1, &p2];
    let done = |ps: &[&Probe]| ps.iter().map(|p| p.done()).collect::<Vec<_>>();
    assert_eq!(done(&probes), [Done::NotRun; 3]);

    let mut doist = Doist::new(1.0).with_limit(5.0);
    let hd = doist.add(d);
    assert_eq!(doist.limit(), Some(5.0));
    assert_eq!(doist.doers(), [hd.id()]);
    assert_eq!(doist.done_of(hd), Done::NotRun);
    assert!(doist.get(hd).unwrap().deeds().is_empty());

    // limit 5 is long enough for every child.
    assert_eq!(doist.run()?, Done::Complete);
    assert_eq!(doist.tyme(), 4.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Complete);
    assert!(!dd.always());
    assert_eq!(done(&probes), [Done::Complete; 3]);
    // Every child reads the root's clock.
    for h in [h0, h1, h2] {
        assert_eq!(dd.get(h).unwrap().inner().tyme(), Some(doist.tyme()));
    }
    assert!(dd.deeds().is_empty());

    // limit 2: not every child completes.
    assert_eq!(doist.run_with(Some(2.0), None)?, Done::Incomplete);
    assert_eq!(doist.tyme(), 6.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
    assert_eq!(
        done(&probes),
        [Done::Complete, Done::Incomplete, Done::Incomplete]
    );
    assert!(dd.deeds().is_empty());

    // always, with a limit long enough: closed while empty, so done True.
    doist.get_mut(hd).unwrap().set_always(true);
    assert_eq!(doist.run_with(Some(5.0), None)?, Done::Incomplete);
    assert_eq!(doist.tyme(), 11.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Complete);
    assert!(dd.always());
    assert!(dd.deeds().is_empty());
    assert_eq!(done(&probes), [Done::Complete; 3]);

    // always, limit too short.
    assert_eq!(doist.run_with(Some(2.0), None)?, Done::Incomplete);
    assert_eq!(doist.tyme(), 13.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
    assert_eq!(
        done(&probes),
        [Done::Complete, Done::Incomplete, Done::Incomplete]
    );
    assert!(dd.deeds().is_empty());

    // Manual: nothing is forced closed.
    doist.enter()?;
    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 15.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
    assert!(dd.always());
    assert_eq!(
        done(&probes),
        [Done::Complete, Done::Incomplete, Done::Incomplete]
    );
    assert_eq!(dd.deeds().len(), 2);

    // extend
    let (c3, p3) = TryDoer::stop(1).watch();
    let (c4, p4) = TryDoer::stop(2).watch();
    let more = doist
        .get_mut(hd)
        .unwrap()
        .extend([c3.boxed(), c4.boxed()])?;
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.doers(), [h0.id(), h1.id(), h2.id(), more[0], more[1]]);
    assert_eq!(deed_ids(&dd.deeds()), [h1.id(), h2.id(), more[0], more[1]]);

    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 17.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
    assert_eq!(
        done(&[&p0, &p1, &p2, &p3, &p4]),
        [
            Done::Complete,
            Done::Complete,
            Done::Complete,
            Done::Complete,
            Done::Incomplete
        ]
    );
    assert_eq!(dd.deeds().len(), 1);

    doist.exit()?;
    assert_eq!(doist.done_of(hd), Done::Incomplete);
    assert_eq!(p4.done(), Done::Incomplete);
    assert_eq!(done(&[&p0, &p1, &p2, &p3]), [Done::Complete; 4]);
    assert!(doist.deeds().is_empty());
    Ok(())
}

#[test]
fn core_s31_dodoer_remove() -> Result<()> {
    let j = Journal::new();
    let mut d = DoDoer::new().with_tock(1.0).with_always(true);
    let mut ids = Vec::new();
    let mut probes = Vec::new();
    for (stop, name) in [(1, "c0"), (2, "c1"), (3, "c2"), (2, "c3"), (3, "c4")] {
        let (c, p) = TryDoer::stop(stop).named(&j, name).watch();
        ids.push(d.add(c).id());
        probes.push(p);
    }
    assert!(d.always());
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let hd = doist.add(d);
    assert_eq!(doist.done_of(hd), Done::NotRun);

    doist.enter()?;
    assert_eq!(doist.done_of(hd), Done::Incomplete);
    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 2.0);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
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
    assert_eq!(deed_ids(&dd.deeds()), ids[1..]);

    j.clear();
    doist
        .get_mut(hd)
        .unwrap()
        .remove(&[ids[0], ids[1], ids[3]])?;
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.doers(), [ids[2], ids[4]]);
    assert_eq!(deed_ids(&dd.deeds()), [ids[2], ids[4]]);
    assert_eq!(j.who("cease"), ["c3", "c1"]);
    assert_eq!(
        (probes[1].done(), probes[3].done()),
        (Done::Incomplete, Done::Incomplete)
    );
    assert_eq!(
        (dd.done_of(ids[2]), dd.done_of(ids[4])),
        (Done::Incomplete, Done::Incomplete)
    );

    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.tyme(), 4.0);
    assert_eq!(doist.done(), Done::NotRun);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Complete);
    assert!(dd.deeds().is_empty());
    assert_eq!(dd.doers().len(), 2);
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

    // always: it keeps running with no children.
    doist.recur()?;
    doist.recur()?;
    assert_eq!(doist.deeds().len(), 1);
    assert_eq!(doist.done_of(hd), Done::Complete);
    Ok(())
}

/// HIO's `RemoveDoDoer.removeDo`: on its first step removes `siblings` (or,
/// when `None`, every child of its DoDoer, itself included), then yields
/// twice more and returns True.
fn remove_do(siblings: Option<Vec<DoerId>>) -> impl IntoDog {
    doify(move |co: Co| {
        let siblings = siblings.clone();
        async move {
            co.yield_tock(0.0).await?; // enter
            // The removed doers come back; they are dropped here.
            let _removed = match siblings {
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

/// s32 for both variants: `own` removes every child, itself included.
fn remove_by_child(own: bool) -> Result<()> {
    // Python subclasses DoDoer to append its own doized method as the last
    // child; Rust adds a coroutine child that reaches its DoDoer through Co.
    let j = Journal::new();
    let mut d = DoDoer::new().with_tock(1.0);
    let mut ids = Vec::new();
    let mut probes = Vec::new();
    for (stop, name) in [(1, "c0"), (2, "c1"), (3, "c2"), (2, "c3"), (3, "c4")] {
        let (c, p) = TryDoer::stop(stop).named(&j, name).watch();
        ids.push(d.add(c).id());
        probes.push(p);
    }
    let rp = Probe::new();
    let targets = if own { None } else { Some(ids.clone()) };
    let hr = d.add(Watch::new(remove_do(targets), rp.clone()));
    assert_eq!(d.doers().len(), 6);
    assert!(!d.always());
    let mut doist = Doist::new(1.0).with_limit(5.0);
    let hd = doist.add(d);

    doist.enter()?;
    assert_eq!(doist.done_of(hd), Done::Incomplete);
    doist.recur()?;
    assert_eq!(doist.tyme(), 1.0);
    assert_eq!(doist.deed_count(), 1);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
    assert_eq!(deed_ids(&dd.deeds()), [hr.id()]);
    if own {
        assert!(dd.doers().is_empty());
    } else {
        assert_eq!(dd.doers(), [hr.id()]);
    }
    assert_eq!(j.who("cease"), ["c4", "c3", "c2", "c1", "c0"]);
    assert!(probes.iter().all(|p| p.done() == Done::Incomplete));
    assert_eq!(rp.done(), Done::Incomplete);

    doist.recur()?;
    assert_eq!(doist.tyme(), 2.0);
    assert_eq!(doist.deed_count(), 1);
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Incomplete);
    assert_eq!(deed_ids(&dd.deeds()), [hr.id()]);
    assert_eq!(dd.doers().is_empty(), own);

    doist.recur()?;
    assert_eq!(doist.tyme(), 3.0);
    assert!(doist.deeds().is_empty());
    let dd = doist.get(hd).unwrap();
    assert_eq!(dd.done(), Done::Complete);
    assert!(dd.deeds().is_empty());
    assert_eq!(dd.doers().is_empty(), own);
    assert_eq!(rp.done(), Done::Complete);
    if !own {
        assert_eq!(dd.done_of(hr), Done::Complete);
    }
    Ok(())
}

#[test]
fn core_s32_dodoer_remove_by_own_doer() -> Result<()> {
    remove_by_child(false)
}

#[test]
fn core_s32_dodoer_remove_own_doer() -> Result<()> {
    remove_by_child(true)
}
