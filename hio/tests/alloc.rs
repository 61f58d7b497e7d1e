//! A steady-state pass allocates nothing. Needs the allocation counter:
//! `cargo test -p hio --features count-allocations --test alloc`.
#![cfg(feature = "count-allocations")]

use hio::{Cx, DoDoer, Doer, Doist, Error, Result, doify};

struct Idle(u64);

impl Doer for Idle {
    fn tock(&self) -> f64 {
        // Different cadences, so some passes skip some doers.
        (self.0 % 3) as f64 * 0.25
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        Ok(false)
    }
}

fn busy_doist() -> Doist {
    let mut doist = Doist::new(0.25);
    for i in 0..100 {
        doist.add(Idle(i));
    }
    let mut group = DoDoer::new().with_tock(0.5);
    for i in 0..10 {
        group.add(Idle(i));
    }
    doist.add(group);
    for _ in 0..50 {
        doist.add(doify(|co| async move {
            let mut n = 0u64;
            loop {
                co.yield_tock(0.0).await?;
                n += 1;
                if n == u64::MAX {
                    return Ok::<_, Error>(());
                }
            }
        }));
    }
    doist
}

#[test]
fn steady_state_passes_do_not_allocate() {
    let mut doist = busy_doist();
    doist.enter().unwrap();
    // Warm up: the deque and slot vectors reach their sizes.
    for _ in 0..10 {
        doist.recur().unwrap();
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..1_000 {
            doist.recur().unwrap();
        }
    });
    assert_eq!(info.count_total, 0, "{info:?}");
    assert_eq!(doist.deed_count(), 151);
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test above against a counter that counts nothing.
    let info = allocation_counter::measure(|| {
        let mut doist = busy_doist();
        doist.enter().unwrap();
    });
    assert!(info.count_total > 150, "{info:?}");
}
