//! A doer that panics: every other doer's exit hook runs before the panic
//! continues, and DoDoers on the panic's path close their children first.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use hio::{Cx, DoDoer, DoDoerHooks, Doer, Doist, Done, Result};

type Log = Rc<RefCell<Vec<String>>>;

struct Logged {
    name: &'static str,
    log: Log,
    panic_at: Option<u32>,
    n: u32,
}

impl Logged {
    fn new(name: &'static str, log: &Log, panic_at: Option<u32>) -> Self {
        Logged {
            name,
            log: log.clone(),
            panic_at,
            n: 0,
        }
    }
    fn note(&self, ctx: &str) {
        self.log.borrow_mut().push(format!("{} {ctx}", self.name));
    }
}

impl Doer for Logged {
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.n += 1;
        if self.panic_at == Some(self.n) {
            panic!("{} blew up", self.name);
        }
        Ok(false)
    }
    fn cease(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.note("cease");
        Ok(())
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.note("exit");
        Ok(())
    }
}

struct GroupHooks(Log);

impl DoDoerHooks for GroupHooks {
    fn cease(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.0.borrow_mut().push("group cease".into());
        Ok(())
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.0.borrow_mut().push("group exit".into());
        Ok(())
    }
}

#[test]
fn panic_in_a_nested_doer_runs_every_other_exit_hook() {
    let log: Log = Rc::default();
    let mut doist = Doist::new(1.0).with_limit(10.0);
    let a = doist.add(Logged::new("a", &log, None));
    let group = doist.add(
        DoDoer::with_hooks(GroupHooks(log.clone()))
            .with(Logged::new("b", &log, None))
            .with(Logged::new("p", &log, Some(2)))
            .with(Logged::new("c", &log, None)),
    );
    let d = doist.add(Logged::new("d", &log, None));

    let caught = catch_unwind(AssertUnwindSafe(|| doist.run()));
    let payload = caught.expect_err("the panic continues after cleanup");
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("p blew up")
    );

    // On the second pass p panicked after b ran. A deque cut short mid-pass
    // reads [not yet run…, already run…] and closes from the right (HIO
    // §5.6): the group closes b (already run) then c, runs its own exit
    // (it is on the panic's path, so no cease); then the Doist closes a
    // (already run) then d.
    assert_eq!(
        *log.borrow(),
        [
            "b cease",
            "b exit",
            "c cease",
            "c exit",
            "group exit",
            "a cease",
            "a exit",
            "d cease",
            "d exit"
        ]
    );
    assert_eq!(doist.deed_count(), 0);
    assert_eq!(doist.done_of(a), Done::Incomplete);
    assert_eq!(doist.done_of(d), Done::Incomplete);
    assert_eq!(doist.done_of(group), Done::Incomplete);
}

#[test]
fn the_doist_runs_again_after_a_panic() {
    let log: Log = Rc::default();
    let mut doist = Doist::new(1.0).with_limit(2.0);
    doist.add(Logged::new("p", &log, Some(1)));
    doist.add(Logged::new("q", &log, None));
    assert!(catch_unwind(AssertUnwindSafe(|| doist.run())).is_err());
    assert_eq!(*log.borrow(), ["q cease", "q exit"]);
    log.borrow_mut().clear();
    // p's recur count carries on (2), so it no longer panics.
    assert_eq!(doist.run().unwrap(), Done::Incomplete);
    assert_eq!(*log.borrow(), ["q cease", "q exit", "p cease", "p exit"]);
}
