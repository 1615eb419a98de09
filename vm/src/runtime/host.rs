//! The VM's side of `stdlib::Host`: console output with the reference's `[FeatureSet] ` prefix,
//! repositories, ids, the clock, and the events/observers an action asks to run.

use crate::loader::Loaded;
use arovm_stdlib::action::Host;
use arovm_stdlib::repository::Repositories;
use arovm_stdlib::value::Value;
use std::io::Write;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Host state shared by all fibers of one runtime.
pub struct HostState {
    /// The feature set whose action is running (log prefix).
    pub feature: Rc<str>,
    /// Its business activity (JSON log lines only).
    pub activity: Rc<str>,
    /// The request or connection its fiber works for (JSON log lines only).
    pub trace: Option<(&'static str, Rc<str>)>,
    /// In-memory repositories.
    pub repos: Repositories,
    /// Emitted events not yet turned into handler fibers.
    events: Vec<(String, Value)>,
    /// Repository changes not yet turned into observer fibers.
    changes: Vec<(String, Value)>,
    /// The output of the template the running fiber renders (swapped in per action).
    pub template: Option<String>,
    /// Per-feature-set and per-action counters (`--profile-actions`), when on.
    pub profile: Option<Box<super::profile::Profile>>,
    /// Bounds on what a program may do to the process.
    pub limits: RuntimeLimits,
    /// Repositories some `<repo> Observer` feature set watches.
    pub observed: std::collections::HashSet<String>,
    /// `--record`: the domain events emitted so far.
    pub recording: Option<Box<super::recording::Recording>>,
    /// `Log` lines start with `[FeatureSet] ` (interpreter mode; off for a built `.arob`).
    pub log_prefix: bool,
    /// The developer context (`--debug`, ARO-0031): `LOG[target] Feature: String("…")`.
    pub developer: bool,
    /// The app's command-line parameters (ARO-0047), as the `<parameter>` object.
    pub parameters: Value,
    /// The process environment as the `<env>` object, read on first use.
    environment: Option<Value>,
    /// The `<http-server>` object once the server listens (its real port).
    pub http_server: Option<Value>,
    rng: u64,
}

/// Bounds on the runtime, each read once at start-up from its environment variable.
#[derive(Clone, Debug)]
pub struct RuntimeLimits {
    /// Largest value a statement may bind: strings and bytes by length, lists and objects at 16
    /// bytes per element (shallow). Over it the statement fails. `AROVM_MAX_VALUE_BYTES`,
    /// default 64 MiB.
    pub max_value_bytes: usize,
    /// CPU time one handler run may use (HTTP, WebSocket, socket and event handlers; not
    /// Application-Start/End). Over it the fiber fails (an HTTP request gets 500).
    /// `AROVM_HANDLER_CPU_MS`, default 10 s; 0 = no budget.
    pub handler_cpu: Option<std::time::Duration>,
    /// How deep handlers may emit events that run further handlers (an emitter waits for its
    /// handlers). Over it the Emit statement fails. `AROVM_MAX_EMIT_DEPTH`, default 100.
    pub max_emit_depth: u32,
}

impl RuntimeLimits {
    /// Defaults overridden by the environment.
    pub fn from_env() -> RuntimeLimits {
        let num = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        RuntimeLimits {
            max_value_bytes: num("AROVM_MAX_VALUE_BYTES").map_or(64 << 20, |v| v as usize),
            handler_cpu: match num("AROVM_HANDLER_CPU_MS") {
                Some(0) => None,
                Some(ms) => Some(std::time::Duration::from_millis(ms)),
                None => Some(std::time::Duration::from_secs(10)),
            },
            max_emit_depth: num("AROVM_MAX_EMIT_DEPTH").map_or(100, |v| v as u32),
        }
    }
}

impl Default for HostState {
    fn default() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            ^ (std::process::id() as u64) << 32;
        HostState {
            feature: Rc::from(""),
            activity: Rc::from(""),
            trace: None,
            repos: Repositories::with_clock(std::time::Instant::now),
            events: Vec::new(),
            changes: Vec::new(),
            template: None,
            profile: None,
            limits: RuntimeLimits::from_env(),
            observed: Default::default(),
            recording: None,
            log_prefix: true,
            developer: false,
            parameters: Value::object(Vec::new()),
            environment: None,
            http_server: None,
            rng: seed | 1,
        }
    }
}

impl HostState {
    /// `<env>`: the process environment (variables that are not UTF-8 are left out), read once.
    pub fn environment(&mut self) -> Value {
        self.environment
            .get_or_insert_with(|| {
                let mut vars: Vec<(Rc<str>, Value)> = std::env::vars_os()
                    .filter_map(|(k, v)| Some((Rc::from(k.to_str()?), Value::str(v.to_str()?))))
                    .collect();
                vars.sort_by(|a, b| a.0.cmp(&b.0));
                Value::object(vars)
            })
            .clone()
    }

    /// A host whose `observed` repositories are those some observer watches.
    pub fn observing(observed: std::collections::HashSet<String>) -> HostState {
        HostState {
            observed,
            ..HostState::default()
        }
    }

    /// The current time in ISO-8601 UTC.
    pub fn now_iso(&self) -> String {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        arovm_stdlib::value::date::format_iso(secs)
    }

    /// Midnight UTC `days` days from today, ISO-8601.
    pub fn midnight_iso(&self, days: i64) -> String {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        arovm_stdlib::value::date::format_iso((secs.div_euclid(86_400) + days) * 86_400)
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Handler and observer fibers to start for what the last action emitted: (feature set, event).
    pub fn take_spawns(&mut self, prog: &Loaded) -> Vec<(usize, Value)> {
        let mut out = Vec::new();
        for (name, payload) in self.events.drain(..) {
            for h in prog.handlers(&name) {
                let admitted = prog.guards[h].as_ref().is_none_or(|g| g.admits(&payload));
                if admitted {
                    out.push((h, payload.clone()));
                }
            }
        }
        for (repo, ev) in self.changes.drain(..) {
            for h in prog.observers(&repo) {
                out.push((h, ev.clone()));
            }
        }
        out
    }

    /// Writes one line to stdout (the response line, server start lines); a JSON line in JSON
    /// mode.
    pub fn print(&mut self, text: &str) {
        use crate::telemetry::log::{self, Format, Level};
        let mut out = std::io::stdout().lock();
        let _ = match log::format() {
            Format::Json => writeln!(out, "{}", log::line(Level::Info, text, &[])),
            Format::Text => writeln!(out, "{text}"),
        };
        let _ = out.flush();
    }

    /// Writes a runtime error to stderr: as printed by the reference in text mode, one `error`
    /// line in JSON mode.
    pub fn error(&mut self, text: &str) {
        use crate::telemetry::log::{self, Format, Level};
        let line = match log::format() {
            Format::Json => log::line(Level::Error, text, &[]),
            Format::Text => text.to_string(),
        };
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// Writes one finished log line to stderr or (flushed) stdout.
fn write_line(to_stderr: bool, line: &str) {
    if to_stderr {
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes());
        let _ = out.flush();
    }
}

impl Host for HostState {
    fn log(&mut self, to_stderr: bool, text: &str) {
        use crate::telemetry::log::{self, Field, Format, Level};
        let line = if log::format() == Format::Json {
            let mut fields = vec![
                ("feature_set", Field::Str(&self.feature)),
                ("activity", Field::Str(&self.activity)),
            ];
            if let Some((k, v)) = &self.trace {
                fields.push((k, Field::Str(v)));
            }
            if to_stderr {
                fields.push(("stream", Field::Str("stderr")));
            }
            let mut l = log::line(Level::Info, text, &fields);
            l.push('\n');
            l
        } else if self.log_prefix {
            format!("[{}] {}\n", self.feature, log::escape_app_text(text))
        } else {
            format!("{}\n", log::escape_app_text(text))
        };
        write_line(to_stderr, &line);
    }

    fn developer(&self) -> bool {
        self.developer
    }

    fn log_developer(&mut self, to_stderr: bool, target: &str, text: &str) {
        if crate::telemetry::log::format() == crate::telemetry::log::Format::Json {
            return self.log(to_stderr, text);
        }
        let text = crate::telemetry::log::escape_app_text(text);
        let line = format!("LOG[{target}] {}: {text}\n", self.feature);
        write_line(to_stderr, &line);
    }

    fn emit(&mut self, event: &str, payload: Value) {
        if self.recording.is_some() {
            let at = self.now_iso();
            if let Some(r) = self.recording.as_mut() {
                r.push(at, event, &payload);
            }
        }
        self.events.push((event.to_string(), payload));
    }

    fn now(&mut self) -> String {
        self.now_iso()
    }

    fn unix_seconds(&mut self) -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    fn new_id(&mut self) -> String {
        let a = self.next_rand();
        let b = self.next_rand();
        let b = (b & 0x0fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        format!(
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }

    fn repos(&mut self) -> &mut Repositories {
        &mut self.repos
    }

    fn observes(&self, repo: &str) -> bool {
        self.observed.contains(repo)
    }

    fn repo_changed(&mut self, repo: &str, event: Value) {
        self.changes.push((repo.to_string(), event));
    }

    fn write_template(&mut self, text: &str) -> bool {
        match self.template.as_mut() {
            Some(t) => {
                t.push_str(text);
                true
            }
            None => false,
        }
    }
}
