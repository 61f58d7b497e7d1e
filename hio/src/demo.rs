//! The `hio demo` program: a small tree of doers, narrated pass by pass.
//!
//! ```
//! let mut out = Vec::new();
//! hio::demo::run(1.0, 0.25, false, &mut out)?;
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.contains("heartbeat"));
//! assert!(text.contains("done: Incomplete"));
//! # Ok::<(), hio::Error>(())
//! ```

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::doing::{Cx, DoDoer, Doer, Doist, doify};
use crate::error::{Error, Result};

type Out<'a> = Rc<RefCell<&'a mut dyn Write>>;

/// Shared, line-oriented output for the demo's doers.
#[derive(Clone)]
struct Say(Rc<RefCell<Vec<u8>>>);

impl Say {
    fn line(&self, tyme: f64, who: &str, what: &str) {
        let _ = writeln!(self.0.borrow_mut(), "[tyme {tyme:6.2}] {who:<10} {what}");
    }
}

/// Beats every `tock` until closed.
struct Heartbeat {
    say: Say,
    beats: u32,
}

impl Doer for Heartbeat {
    fn tock(&self) -> f64 {
        0.5
    }
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(cx.tyme(), "heartbeat", "enter");
        Ok(())
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        self.beats += 1;
        self.say.line(cx.tyme(), "heartbeat", &format!("beat {}", self.beats));
        Ok(false)
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(cx.tyme(), "heartbeat", "cease (closed by its scheduler)");
        Ok(())
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(cx.tyme(), "heartbeat", &format!("exit after {} beats", self.beats));
        Ok(())
    }
}

/// A worker inside the group: completes after `steps` recurs.
struct Worker {
    say: Say,
    name: &'static str,
    steps: u32,
    done: u32,
}

impl Doer for Worker {
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        self.done += 1;
        self.say
            .line(cx.tyme(), self.name, &format!("step {}/{}", self.done, self.steps));
        Ok(self.done == self.steps)
    }
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(cx.tyme(), self.name, "clean (completed)");
        Ok(())
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(cx.tyme(), self.name, "cease (closed before completing)");
        Ok(())
    }
}

/// Runs the demo for `limit` seconds of tyme at `tock` per pass, paced to
/// the wall clock when `real`. Ctrl-C or SIGTERM stops it cleanly.
pub fn run(limit: f64, tock: f64, real: bool, out: &mut dyn Write) -> Result<()> {
    if !(tock > 0.0 && tock.is_finite() && limit.is_finite()) {
        return Err(Error::Invalid("tock must be positive and limit finite".into()));
    }
    let buf = Say(Rc::new(RefCell::new(Vec::new())));
    let out: Out<'_> = Rc::new(RefCell::new(out));
    let flush = |say: &Say, out: &Out<'_>| -> Result<()> {
        let mut bytes = say.0.borrow_mut();
        let mut out = out.borrow_mut();
        out.write_all(&bytes)?;
        out.flush()?;
        bytes.clear();
        Ok(())
    };

    let mut doist = Doist::new(tock).with_real(real).with_limit(limit);
    #[cfg(feature = "signals")]
    doist.handle_signals()?;
    doist.add(Heartbeat {
        say: buf.clone(),
        beats: 0,
    });
    let group = DoDoer::new()
        .with(Worker {
            say: buf.clone(),
            name: "quick",
            steps: 2,
            done: 0,
        })
        .with(Worker {
            say: buf.clone(),
            name: "slow",
            steps: 1_000,
            done: 0,
        });
    doist.add(group);
    let say = buf.clone();
    doist.add(doify(move |co| {
        let say = say.clone();
        async move {
            say.line(co.tyme(), "countdown", "enter (a coroutine doer)");
            for n in (1..=3).rev() {
                let tyme = co.yield_tock(0.25).await?;
                say.line(tyme, "countdown", &format!("{n}"));
            }
            say.line(co.tyme(), "countdown", "liftoff: returns, so it is complete");
            Ok::<_, Error>(())
        }
    }));

    buf.line(doist.tyme(), "doist", &format!("run: tock {tock}, limit {limit}, real {real}"));
    doist.enter()?;
    flush(&buf, &out)?;
    let done = {
        // Drive the passes through `run` so the limit and pacing apply; the
        // doers entered above are not entered twice.
        let result = doist.run();
        flush(&buf, &out)?;
        result?
    };
    buf.line(doist.tyme(), "doist", &format!("finished, done: {done:?}"));
    flush(&buf, &out)
}
