//! `hio demo`: a small tree of doers, narrated pass by pass.

use std::cell::RefCell;
use std::io::Write;
use std::process::ExitCode;
use std::rc::Rc;

use hio::{Cx, DoDoer, DoDoerHooks, Doer, Doist, Error, Result, doify};

/// `hio demo`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds of tyme to run for.
    #[arg(long, default_value_t = 2.0)]
    limit: f64,
    /// Seconds of tyme per pass.
    #[arg(long, default_value_t = 0.25)]
    tock: f64,
    /// Run as fast as possible instead of pacing to the wall clock.
    #[arg(long)]
    fast: bool,
}

/// Runs `hio demo`, narrating to stdout.
pub fn main(args: Args) -> ExitCode {
    crate::exit(
        "demo",
        run(args.limit, args.tock, !args.fast, std::io::stdout()),
    )
}

/// Shared, line-oriented output for the demo's doers.
#[derive(Clone)]
struct Say(Rc<RefCell<Box<dyn Write>>>);

impl Say {
    fn line(&self, tyme: f64, who: &str, what: &str) {
        let mut out = self.0.borrow_mut();
        // A closed pipe (`hio demo | head`) just ends the narration.
        let _ = writeln!(out, "[tyme {tyme:6.2}] {who:<10} {what}");
        let _ = out.flush();
    }
}

/// Narrates the group's own lifecycle.
struct Group(Say);

impl DoDoerHooks for Group {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.0.line(
            cx.tyme(),
            "group",
            "enter (a DoDoer: enters its two workers next)",
        );
        Ok(())
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.0
            .line(cx.tyme(), "group", "cease (closes its workers next)");
        Ok(())
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.0.line(cx.tyme(), "group", "exit");
        Ok(())
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
        self.say
            .line(cx.tyme(), "heartbeat", &format!("beat {}", self.beats));
        Ok(false)
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say
            .line(cx.tyme(), "heartbeat", "cease (closed by its scheduler)");
        Ok(())
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(
            cx.tyme(),
            "heartbeat",
            &format!("exit after {} beats", self.beats),
        );
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
        self.say.line(
            cx.tyme(),
            self.name,
            &format!("step {}/{}", self.done, self.steps),
        );
        Ok(self.done == self.steps)
    }
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say.line(cx.tyme(), self.name, "clean (completed)");
        Ok(())
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.say
            .line(cx.tyme(), self.name, "cease (closed before completing)");
        Ok(())
    }
}

/// Runs the demo for `limit` seconds of tyme at `tock` per pass, paced to
/// the wall clock when `real`, narrating to `out`. Ctrl-C or SIGTERM stops
/// it cleanly: every doer still running is closed and says so.
fn run(limit: f64, tock: f64, real: bool, out: impl Write + 'static) -> Result<()> {
    if !(tock > 0.0 && tock.is_finite() && limit.is_finite()) {
        return Err(Error::Invalid(
            "tock must be positive and limit finite".into(),
        ));
    }
    let say = Say(Rc::new(RefCell::new(Box::new(out))));
    let mut doist = Doist::new(tock).with_real(real).with_limit(limit);
    doist.handle_signals()?;
    doist.add(Heartbeat {
        say: say.clone(),
        beats: 0,
    });
    let worker = |name, steps| Worker {
        say: say.clone(),
        name,
        steps,
        done: 0,
    };
    doist.add(
        DoDoer::with_hooks(Group(say.clone()))
            .with(worker("quick", 2))
            .with(worker("slow", 1_000)),
    );
    let co_say = say.clone();
    doist.add(doify(move |co| {
        let say = co_say.clone();
        async move {
            say.line(co.tyme(), "countdown", "enter (a coroutine doer)");
            for n in (1..=3).rev() {
                let tyme = co.yield_tock(0.25).await?;
                say.line(tyme, "countdown", &format!("{n}"));
            }
            say.line(
                co.tyme(),
                "countdown",
                "liftoff: returns, so it is complete",
            );
            Ok::<_, Error>(())
        }
    }));

    say.line(
        doist.tyme(),
        "doist",
        &format!("run: tock {tock}, limit {limit}, real {real}"),
    );
    let done = doist.run()?;
    say.line(doist.tyme(), "doist", &format!("finished, done: {done:?}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose bytes the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn demo_narrates_every_lifecycle() {
        let out = Shared::default();
        run(1.5, 0.25, false, out.clone()).unwrap();
        let text = String::from_utf8(out.0.borrow().clone()).unwrap();
        for expected in [
            "[tyme   0.00] heartbeat  enter",
            "[tyme   0.25] quick      clean (completed)",
            "[tyme   0.50] countdown  liftoff: returns, so it is complete",
            "[tyme   1.50] slow       cease (closed before completing)",
            "[tyme   1.50] group      exit",
            "[tyme   1.50] doist      finished, done: Incomplete",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
        }
    }

    #[test]
    fn demo_rejects_a_zero_tock() {
        assert!(matches!(
            run(1.0, 0.0, false, std::io::sink()),
            Err(Error::Invalid(_))
        ));
    }
}
