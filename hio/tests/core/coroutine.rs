//! Coroutine doers (`doify`): nesting, close at the suspension point,
//! ignored closes, scheduler access, outputs and foreign futures.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use hio::doing::IntoDog;
use hio::{Co, Cx, Doer, Doist, Done, Error, Result, doify};

type Log = Rc<RefCell<Vec<String>>>;

/// A nested coroutine (HIO's `yield from self.parser.parsator()`): yields
/// its own tocks, returns a value to its caller.
async fn parsator(co: &Co, log: &Log, steps: u32) -> Result<u32> {
    for i in 1..=steps {
        let tyme = co.yield_tock(0.5).await?;
        log.borrow_mut().push(format!("parse {i} at {tyme}"));
    }
    Ok(steps * 10)
}

#[test]
fn a_coroutine_awaits_a_nested_coroutine_that_yields_its_own_tocks() {
    let log: Log = Rc::default();
    let l = log.clone();
    let mut doist = Doist::new(0.25).with_limit(10.0);
    let h = doist.add(doify(move |co| {
        let log = l.clone();
        async move {
            let tyme = co.yield_tock(0.0).await?;
            log.borrow_mut().push(format!("outer at {tyme}"));
            let parsed = parsator(&co, &log, 2).await?;
            let tyme = co.yield_tock(0.0).await?;
            log.borrow_mut().push(format!("outer again at {tyme}"));
            Ok::<_, Error>(parsed)
        }
    }));
    assert_eq!(doist.run().unwrap(), Done::Complete);
    assert_eq!(
        *log.borrow(),
        // The first resume is at the enter tyme (0). Each nested yield of
        // 0.5 adds to the old retyme (0 → 0.5 → 1.0); the final yield of 0
        // means the next tick (1.0 + 0.25).
        [
            "outer at 0",
            "parse 1 at 0.5",
            "parse 2 at 1",
            "outer again at 1.25"
        ]
    );
    assert_eq!(doist.get(h).unwrap().output(), Some(&20));
}

#[test]
fn close_reaches_the_nested_suspension_point() {
    let log: Log = Rc::default();
    let l = log.clone();
    let mut doist = Doist::new(1.0).with_limit(2.0);
    let h = doist.add(doify(move |co| {
        let log = l.clone();
        async move {
            match parsator(&co, &log, 100).await {
                Err(Error::Closed) => {
                    log.borrow_mut().push(format!("cease at {}", co.tyme()));
                    // A close that returns a value: done takes it (3.13+).
                    Ok(true)
                }
                other => other.map(|_| false),
            }
        }
    }));
    assert_eq!(doist.run().unwrap(), Done::Incomplete);
    assert_eq!(log.borrow().last().unwrap(), "cease at 2");
    assert_eq!(doist.done_of(h), Done::Complete);
}

#[test]
fn a_close_propagated_with_question_mark_leaves_done_unchanged() {
    let mut doist = Doist::new(1.0).with_limit(2.0);
    let h = doist.add(doify(|co| async move {
        loop {
            co.yield_tock(0.0).await?;
        }
        #[allow(unreachable_code)]
        Ok::<_, Error>(())
    }));
    doist.run().unwrap();
    assert_eq!(doist.done_of(h), Done::Incomplete);
}

#[test]
fn ignoring_a_close_is_an_error() {
    let mut doist = Doist::new(1.0).with_limit(1.0);
    doist.add(doify(|co| async move {
        loop {
            // Swallows the close and yields again.
            let _ = co.yield_tock(0.0).await;
        }
        #[allow(unreachable_code)]
        Ok::<_, Error>(())
    }));
    assert!(matches!(doist.run(), Err(Error::IgnoredClose)));
}

#[test]
fn a_coroutine_extends_and_removes_through_its_scheduler() {
    struct Count(Log, &'static str);
    impl Doer for Count {
        fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
            self.0
                .borrow_mut()
                .push(format!("{} at {}", self.1, cx.tyme()));
            Ok(false)
        }
        fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
            self.0
                .borrow_mut()
                .push(format!("{} exit at {}", self.1, cx.tyme()));
            Ok(())
        }
    }
    let log: Log = Rc::default();
    let l = log.clone();
    let mut doist = Doist::new(1.0).with_limit(10.0);
    doist.add(doify(move |co| {
        let log = l.clone();
        async move {
            co.yield_tock(0.0).await?;
            let ids = co.extend(vec![Count(log.clone(), "kid").boxed()]).await?;
            let listed = co.with_cx({
                let id = ids[0];
                move |cx| cx.contains(id)
            });
            assert!(listed.await?);
            co.yield_tock(0.0).await?;
            co.yield_tock(0.0).await?;
            co.remove(ids).await?;
            Ok::<_, Error>(())
        }
    }));
    assert_eq!(doist.run().unwrap(), Done::Complete);
    assert_eq!(*log.borrow(), ["kid at 1", "kid at 2", "kid exit at 2"]);
}

/// A future that is pending the first `n` times it is polled.
struct NotYet(u32);

impl Future for NotYet {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            Poll::Ready(())
        } else {
            self.0 -= 1;
            Poll::Pending
        }
    }
}

#[test]
fn a_foreign_pending_future_is_polled_again_each_tick() {
    let mut doist = Doist::new(0.5).with_limit(10.0);
    let h = doist.add(doify(|co| async move {
        NotYet(3).await;
        Ok::<_, Error>(co.tyme())
    }));
    doist.run().unwrap();
    // Pending at enter (0), then at the passes at 0, 0.5 and 1.0; ready at 1.0.
    assert_eq!(doist.get(h).unwrap().output(), Some(&1.0));
}

#[test]
fn an_error_takes_the_abort_path_and_stops_the_run() {
    let closed: Log = Rc::default();
    struct Bystander(Log);
    impl Doer for Bystander {
        fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
            Ok(false)
        }
        fn cease(&mut self, _: &mut Cx<'_>) -> Result<()> {
            self.0.borrow_mut().push("cease".into());
            Ok(())
        }
        fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
            self.0.borrow_mut().push("exit".into());
            Ok(())
        }
    }
    let mut doist = Doist::new(1.0).with_limit(10.0);
    doist.add(Bystander(closed.clone()));
    doist.add(doify(|co| async move {
        co.yield_tock(0.0).await?;
        Err::<(), _>(Error::doer("boom"))
    }));
    let err = doist.run().unwrap_err();
    assert_eq!(err.to_string(), "doer failed: boom");
    assert_eq!(*closed.borrow(), ["cease", "exit"]);
    assert_eq!(doist.done(), Done::Incomplete);
}
