//! The smallest useful Doist: a class doer, a coroutine doer and a DoDoer,
//! run on simulated tyme. `cargo run -p hio --example doist_hello`

use hio::{Cx, DoDoer, Doer, Doist, Done, Error, Result, doify};

/// Says hello three times, once per tock, then completes.
struct Hello {
    left: u32,
}

impl Doer for Hello {
    fn tock(&self) -> f64 {
        0.5
    }
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        println!("{:>5}: hello enters", cx.tyme());
        Ok(())
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        println!("{:>5}: hello ({} left)", cx.tyme(), self.left);
        self.left -= 1;
        Ok(self.left == 0)
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        println!("{:>5}: hello exits", cx.tyme());
        Ok(())
    }
}

fn main() -> Result<()> {
    let mut doist = Doist::new(0.25).with_limit(5.0);
    let hello = doist.add(DoDoer::new().with(Hello { left: 3 }));
    let world = doist.add(doify(|co| async move {
        let mut tyme = co.tyme();
        for word in ["world", "of", "doers"] {
            println!("{tyme:>5}: {word}");
            tyme = co.yield_tock(0.75).await?;
        }
        Ok::<_, Error>(tyme)
    }));
    let done = doist.run()?;
    println!("done {done:?} at tyme {}", doist.tyme());
    assert_eq!(done, Done::Complete);
    assert!(doist.done_of(hello).is_complete());
    println!(
        "the coroutine returned tyme {:?}",
        doist.get(world).and_then(|w| w.output())
    );
    Ok(())
}
