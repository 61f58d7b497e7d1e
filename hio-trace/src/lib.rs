//! The `hio trace` scenario runner: run a JSON scenario of instrumented
//! doers on hio's [`Doist`] and simulated tyme, and report every lifecycle
//! context as a JSON line.
//!
//! The scenario and trace formats are those of HIO's conformance suite
//! (`spec/trace-format.md`): the same scenario fed to Python HIO 0.7.20
//! gives the same trace. It is also a way to see what a tree of doers does,
//! pass by pass.
//!
//! ```
//! let scenario = r#"{
//!     "doist": {"tock": 1.0, "limit": 2.0},
//!     "doers": [{"name": "a", "kind": "doer", "stop": 1}]
//! }"#;
//! let trace = hio_trace::run(scenario)?;
//! let lines: Vec<&str> = trace.lines().collect();
//! assert_eq!(lines[0], r#"{"t":0.0,"doer":"a","ctx":"enter"}"#);
//! assert_eq!(lines[1], r#"{"t":0.0,"doer":"a","ctx":"recur"}"#);
//! assert!(lines[4].starts_with(r#"{"end":{"tyme":1.0,"done":true"#));
//! # Ok::<(), hio_trace::ScenarioError>(())
//! ```

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::rc::Rc;

use serde::Deserialize;

use hio::doing::{Dog, IntoDog, Next, Stepper};
use hio::testing::{Observer, Watch};
use hio::{Co, Cx, DoDoer, DoDoerHooks, Doer, DoerId, Doist, Done, Error, Result, Tymist, doify};

/// A scenario that cannot be run: bad JSON, an unknown key, a wrong type, a
/// duplicate name or a negative count.
#[derive(Debug, thiserror::Error)]
#[error("invalid scenario: {0}")]
pub struct ScenarioError(String);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[serde(default)]
    doist: DoistSpec,
    runs: Option<Vec<RunSpec>>,
    doers: Vec<DoerSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DoistSpec {
    tock: Option<f64>,
    limit: Option<f64>,
    tyme: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSpec {
    limit: Option<f64>,
    tyme: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Doer,
    Coroutine,
    Dodoer,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DoerSpec {
    name: String,
    kind: Kind,
    #[serde(default)]
    tock: f64,
    stop: Option<u64>,
    fail: Option<u64>,
    extend: Option<ExtendSpec>,
    remove: Option<RemoveSpec>,
    always: Option<bool>,
    doers: Option<Vec<DoerSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendSpec {
    at: u64,
    doers: Vec<DoerSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveSpec {
    at: u64,
    names: Vec<String>,
}

/// Checks names and kind-specific keys; collects every name in order.
fn validate(
    specs: &[DoerSpec],
    names: &mut Vec<String>,
    seen: &mut HashSet<String>,
) -> Result<(), ScenarioError> {
    for spec in specs {
        if !seen.insert(spec.name.clone()) {
            return Err(ScenarioError(format!(
                "duplicate doer name {:?}",
                spec.name
            )));
        }
        names.push(spec.name.clone());
        let leaf = spec.kind != Kind::Dodoer;
        let misplaced = if leaf {
            [
                ("always", spec.always.is_some()),
                ("doers", spec.doers.is_some()),
            ]
            .into_iter()
            .find(|(_, present)| *present)
        } else {
            [
                ("stop", spec.stop.is_some()),
                ("fail", spec.fail.is_some()),
                ("extend", spec.extend.is_some()),
                ("remove", spec.remove.is_some()),
            ]
            .into_iter()
            .find(|(_, present)| *present)
        };
        if let Some((key, _)) = misplaced {
            return Err(ScenarioError(format!(
                "doer {:?}: key {key:?} does not apply to kind {:?}",
                spec.name, spec.kind
            )));
        }
        if !spec.tock.is_finite() {
            return Err(ScenarioError(format!(
                "doer {:?}: tock must be finite",
                spec.name
            )));
        }
        if let Some(children) = &spec.doers {
            validate(children, names, seen)?;
        }
        if let Some(ext) = &spec.extend {
            validate(&ext.doers, names, seen)?;
        }
    }
    Ok(())
}

/// One trace line.
struct Row {
    t: f64,
    doer: Rc<str>,
    ctx: &'static str,
}

/// Shared by every instrumented doer of one scenario.
#[derive(Default)]
struct Recorder {
    rows: RefCell<Vec<Row>>,
    /// Last known `done` of each doer, by name.
    done: RefCell<HashMap<Rc<str>, Done>>,
    /// The id each name was last added under.
    ids: RefCell<HashMap<Rc<str>, DoerId>>,
    /// Recur counts of doer-kind doers (they persist across runs).
    counts: RefCell<HashMap<Rc<str>, u64>>,
    /// Doers removed from their scheduler, kept so that extending the same
    /// name again re-enters the same object (with its children and state),
    /// as HIO re-enters the same Python object.
    parked: RefCell<HashMap<Rc<str>, Box<dyn Dog>>>,
    /// Doers pulled out of their scheduler by a failed remove (a name given
    /// twice); HIO leaves them to the garbage collector, which closes them
    /// after the run.
    detached: RefCell<Vec<Box<dyn Dog>>>,
}

impl Recorder {
    fn row(&self, t: f64, doer: &Rc<str>, ctx: &'static str) {
        self.rows.borrow_mut().push(Row {
            t,
            doer: doer.clone(),
            ctx,
        });
    }
}

/// Mirrors a doer's `done` into the recorder under its name after every
/// call, so the end line can report doers that were removed and dropped.
struct Named {
    name: Rc<str>,
    rec: Rc<Recorder>,
}

impl Observer for Named {
    fn observe(&self, done: Done) {
        self.rec.done.borrow_mut().insert(self.name.clone(), done);
    }
}

/// Every instrumented doer, as `build` makes it.
type Watched = Watch<BoxedDog, Named>;

/// What an instrumented doer does on its k-th recur, besides its row.
struct Actions {
    stop: Option<u64>,
    fail: Option<u64>,
    extend: Option<(u64, Rc<Vec<DoerSpec>>)>,
    remove: Option<(u64, Vec<Rc<str>>)>,
}

impl Actions {
    fn of(spec: DoerSpec) -> (Self, f64) {
        let acts = Actions {
            stop: spec.stop,
            fail: spec.fail,
            extend: spec.extend.map(|e| (e.at, Rc::new(e.doers))),
            remove: spec
                .remove
                .map(|r| (r.at, r.names.into_iter().map(Rc::from).collect())),
        };
        (acts, spec.tock)
    }

    fn fails(&self, count: u64) -> Result<()> {
        match self.fail {
            Some(k) if k == count => Err(Error::doer(format!("scripted failure on recur {count}"))),
            _ => Ok(()),
        }
    }

    /// The doers to add on this recur: those the scheduler does not list.
    fn extension(
        &self,
        count: u64,
        rec: &Rc<Recorder>,
        listed: impl Fn(DoerId) -> bool,
    ) -> Option<Vec<Box<dyn Dog>>> {
        let (at, specs) = self.extend.as_ref()?;
        if *at != count {
            return None;
        }
        let fresh = specs
            .iter()
            .filter(|s| {
                let id = rec.ids.borrow().get(s.name.as_str()).copied();
                !id.is_some_and(&listed)
            })
            .map(|s| {
                let parked = rec.parked.borrow_mut().remove(s.name.as_str());
                parked.unwrap_or_else(|| build(s, rec))
            })
            .collect();
        Some(fresh)
    }

    fn record_ids(rec: &Recorder, dogs_names: &[Rc<str>], ids: &[DoerId]) {
        let mut map = rec.ids.borrow_mut();
        for (name, id) in dogs_names.iter().zip(ids) {
            map.insert(name.clone(), *id);
        }
    }

    /// The ids to remove on this recur, one per name given (repeats kept).
    fn removal(&self, count: u64, rec: &Recorder) -> Option<Vec<DoerId>> {
        let (at, names) = self.remove.as_ref()?;
        if *at != count {
            return None;
        }
        let ids = rec.ids.borrow();
        Some(names.iter().filter_map(|n| ids.get(n).copied()).collect())
    }
}

/// Names of the dogs `extension` built, in order (each is `Watched`).
fn watched_names(dogs: &[Box<dyn Dog>]) -> Vec<Rc<str>> {
    dogs.iter()
        .filter_map(|d| {
            let any: &dyn std::any::Any = d.as_ref();
            any.downcast_ref::<Watched>()
                .map(|w| w.observer().name.clone())
        })
        .collect()
}

/// The `extend` then `remove` of the k-th recur, on the scheduler `cx`.
fn act(acts: &Actions, count: u64, rec: &Rc<Recorder>, cx: &mut Cx<'_>) -> Result<()> {
    if let Some(dogs) = acts.extension(count, rec, |id| cx.contains(id)) {
        let names = watched_names(&dogs);
        let ids = cx.extend(dogs)?;
        Actions::record_ids(rec, &names, &ids);
    }
    if let Some(ids) = acts.removal(count, rec) {
        // HIO removes each listed doer from its list once per time it is
        // named, after pulling their deeds: a name given twice makes the
        // second removal fail, leaving the pulled deeds unclosed.
        let listed: Vec<DoerId> = ids.iter().copied().filter(|&id| cx.contains(id)).collect();
        let twice = listed
            .iter()
            .enumerate()
            .any(|(i, id)| listed[..i].contains(id));
        if twice {
            let dogs = cx.detach(&listed);
            rec.detached.borrow_mut().extend(dogs);
            return Err(Error::doer("list.remove(x): x not in list"));
        }
        let removed = cx.remove(&ids)?;
        let names = watched_names(&removed);
        let mut parked = rec.parked.borrow_mut();
        for (name, dog) in names.into_iter().zip(removed) {
            parked.insert(name, dog);
        }
    }
    Ok(())
}

/// The doer kind: a `Doer` whose hooks write rows.
struct TraceDoer {
    name: Rc<str>,
    rec: Rc<Recorder>,
    acts: Actions,
    tock: f64,
}

impl Doer for TraceDoer {
    fn tock(&self) -> f64 {
        self.tock
    }
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "enter");
        Ok(())
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        let count = {
            let mut counts = self.rec.counts.borrow_mut();
            let c = counts.entry(self.name.clone()).or_insert(0);
            *c += 1;
            *c
        };
        self.rec.row(cx.tyme(), &self.name, "recur");
        self.acts.fails(count)?;
        act(&self.acts, count, &self.rec, cx)?;
        Ok(self.acts.stop == Some(count))
    }
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "clean");
        Ok(())
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "cease");
        Ok(())
    }
    fn abort(&mut self, cx: &mut Cx<'_>, _: &Error) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "abort");
        Ok(())
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "exit");
        Ok(())
    }
}

/// The dodoer kind's hooks.
struct TraceHooks {
    name: Rc<str>,
    rec: Rc<Recorder>,
}

impl DoDoerHooks for TraceHooks {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "enter");
        Ok(())
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "recur");
        Ok(())
    }
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "clean");
        Ok(())
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "cease");
        Ok(())
    }
    fn abort(&mut self, cx: &mut Cx<'_>, _: &Error) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "abort");
        Ok(())
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.rec.row(cx.tyme(), &self.name, "exit");
        Ok(())
    }
}

/// The coroutine kind's body: rows for each context, actions on recurs.
async fn coroutine(
    co: Co,
    name: Rc<str>,
    rec: Rc<Recorder>,
    acts: Rc<Actions>,
    tock: f64,
) -> Result<Option<bool>> {
    rec.row(co.tyme(), &name, "enter");
    let mut count = 0;
    let body = async {
        loop {
            let tyme = co.yield_tock(tock).await?;
            count += 1;
            rec.row(tyme, &name, "recur");
            acts.fails(count)?;
            let (a, r) = (acts.clone(), rec.clone());
            co.with_cx(move |cx| act(&a, count, &r, cx)).await??;
            if acts.stop == Some(count) {
                rec.row(co.tyme(), &name, "exit");
                return Ok(true);
            }
        }
    };
    match body.await {
        Ok(done) => Ok(Some(done)),
        Err(Error::Closed) => {
            rec.row(co.tyme(), &name, "cease");
            rec.row(co.tyme(), &name, "exit");
            Err(Error::Closed)
        }
        Err(e) => {
            rec.row(co.tyme(), &name, "abort");
            rec.row(co.tyme(), &name, "exit");
            Err(e)
        }
    }
}

/// Builds the instrumented doer for `spec`, wrapped in a `Watch`.
fn build(spec: &DoerSpec, rec: &Rc<Recorder>) -> Box<dyn Dog> {
    let name: Rc<str> = Rc::from(spec.name.as_str());
    rec.done
        .borrow_mut()
        .entry(name.clone())
        .or_insert(Done::NotRun);
    let inner: Box<dyn Dog> = match spec.kind {
        Kind::Doer => {
            let (acts, tock) = Actions::of(clone_spec(spec));
            TraceDoer {
                name: name.clone(),
                rec: rec.clone(),
                acts,
                tock,
            }
            .boxed()
        }
        Kind::Coroutine => {
            let (acts, tock) = Actions::of(clone_spec(spec));
            let acts = Rc::new(acts);
            let (n, r) = (name.clone(), rec.clone());
            doify(move |co| coroutine(co, n.clone(), r.clone(), acts.clone(), tock)).boxed()
        }
        Kind::Dodoer => {
            let mut dodoer = DoDoer::with_hooks(TraceHooks {
                name: name.clone(),
                rec: rec.clone(),
            })
            .with_tock(spec.tock)
            .with_always(spec.always.unwrap_or(false));
            for child in spec.doers.iter().flatten() {
                let child_name: Rc<str> = Rc::from(child.name.as_str());
                let id = add_boxed(&mut dodoer, build(child, rec));
                rec.ids.borrow_mut().insert(child_name, id);
            }
            dodoer.boxed()
        }
    };
    Watched::new(
        BoxedDog(inner),
        Named {
            name,
            rec: rec.clone(),
        },
    )
    .boxed()
}

fn add_boxed(dodoer: &mut DoDoer<TraceHooks>, dog: Box<dyn Dog>) -> DoerId {
    dodoer.add(BoxedDog(dog)).id()
}

/// Lets an already boxed dog go through `IntoDog`.
struct BoxedDog(Box<dyn Dog>);

impl Dog for BoxedDog {
    fn done(&self) -> Done {
        self.0.done()
    }
    fn set_done(&mut self, done: Done) {
        self.0.set_done(done)
    }
    fn temp(&self) -> bool {
        self.0.temp()
    }
    fn start(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        self.0.start(cx)
    }
    fn resume(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        self.0.resume(cx)
    }
    fn close(&mut self, cx: &mut Cx<'_>) -> Result<Option<Done>> {
        self.0.close(cx)
    }
    fn throw(&mut self, cx: &mut Cx<'_>, err: Error) -> Result<Next> {
        self.0.throw(cx, err)
    }
    fn after_panic(&mut self, cx: &mut Cx<'_>) {
        self.0.after_panic(cx)
    }
}

impl IntoDog for BoxedDog {
    type Dog = Self;
    fn into_dog(self) -> Self {
        self
    }
    fn inner(dog: &Self) -> &Self {
        dog
    }
    fn inner_mut(dog: &mut Self) -> &mut Self {
        dog
    }
    fn boxed(self) -> Box<dyn Dog> {
        self.0
    }
}

/// Specs are built into doers more than once (extension can repeat), so
/// the action parts are copied out.
fn clone_spec(spec: &DoerSpec) -> DoerSpec {
    DoerSpec {
        name: spec.name.clone(),
        kind: spec.kind,
        tock: spec.tock,
        stop: spec.stop,
        fail: spec.fail,
        extend: spec.extend.as_ref().map(|e| ExtendSpec {
            at: e.at,
            doers: e.doers.iter().map(clone_spec).collect(),
        }),
        remove: spec.remove.as_ref().map(|r| RemoveSpec {
            at: r.at,
            names: r.names.clone(),
        }),
        always: spec.always,
        doers: spec
            .doers
            .as_ref()
            .map(|d| d.iter().map(clone_spec).collect()),
    }
}

fn float(out: &mut String, x: f64) {
    // serde_json prints the shortest form that reads back as the same f64.
    out.push_str(&serde_json::Value::from(x).to_string());
}

fn string(out: &mut String, s: &str) {
    out.push_str(&serde_json::Value::from(s).to_string());
}

/// Runs a scenario (JSON text) and returns its trace (JSON lines).
pub fn run(scenario: &str) -> Result<String, ScenarioError> {
    let scenario: Scenario =
        serde_json::from_str(scenario).map_err(|e| ScenarioError(e.to_string()))?;
    let mut names = Vec::new();
    validate(&scenario.doers, &mut names, &mut HashSet::new())?;
    let tock = scenario.doist.tock.unwrap_or(Tymist::TOCK);
    for (what, v) in [
        ("doist.tock", Some(tock)),
        ("doist.limit", scenario.doist.limit),
        ("doist.tyme", scenario.doist.tyme),
    ] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(ScenarioError(format!("{what} must be finite")));
        }
    }

    let rec = Rc::new(Recorder::default());
    let mut doist = Doist::new(tock).with_tyme(scenario.doist.tyme.unwrap_or(0.0));
    doist.set_limit(scenario.doist.limit);
    for spec in &scenario.doers {
        let id = doist.add(BoxedDog(build(spec, &rec))).id();
        rec.ids
            .borrow_mut()
            .insert(Rc::from(spec.name.as_str()), id);
    }

    let runs = scenario.runs.unwrap_or_else(|| vec![RunSpec::default()]);
    let mut out = String::new();
    for run in runs {
        let result = doist.run_with(run.limit, run.tyme);
        // What a failed remove pulled out is closed last, as CPython's
        // garbage collector closes abandoned generators.
        let detached: Vec<Box<dyn Dog>> = rec.detached.borrow_mut().drain(..).collect();
        let mut stepper = Stepper::new(&doist.tymen());
        for mut dog in detached {
            let _ = stepper.close(dog.as_mut());
        }
        for row in rec.rows.borrow_mut().drain(..) {
            out.push_str("{\"t\":");
            float(&mut out, row.t);
            out.push_str(",\"doer\":");
            string(&mut out, &row.doer);
            let _ = writeln!(out, ",\"ctx\":\"{}\"}}", row.ctx);
        }
        out.push_str("{\"end\":{\"tyme\":");
        float(&mut out, doist.tyme());
        let _ = write!(
            out,
            ",\"done\":{},\"error\":{},\"doers\":{{",
            doist.done().is_complete(),
            result.is_err()
        );
        let done = rec.done.borrow();
        for (k, name) in names.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            string(&mut out, name);
            out.push(':');
            out.push_str(match done.get(name.as_str()).copied().unwrap_or_default() {
                Done::NotRun => "null",
                Done::Incomplete => "false",
                Done::Complete => "true",
            });
        }
        out.push_str("}}}\n");
    }
    Ok(out)
}
