//! Loader: `.arob` bytes (or a freshly compiled program) → [`Loaded`]: the validated program plus
//! what the runtime looks up by name: a lasso reader over the string table, `Rc<str>` copies of every
//! string (so string constants never allocate), and feature sets indexed by role.

use crate::runtime::guard::{split_activity, Guard};
use arovm_compiler::bytecode::{arob, Program};
use lasso::{Key, Rodeo, RodeoReader, Spur};
use std::rc::Rc;

/// A program ready to run.
pub struct Loaded {
    /// The program itself.
    pub program: Program,
    /// Every string of the table as a shared `Rc<str>`, by index.
    pub strs: Vec<Rc<str>>,
    /// Name → string index lookups (interned once at load).
    pub names: RodeoReader<Spur>,
    /// Per feature set: its code as VM instructions (see [`crate::runtime::lower`]).
    pub code: Vec<Vec<crate::runtime::lower::Ins>>,
    /// Per feature set: the field guard of its activity (`Paid Handler<status:paid>`), if any.
    pub guards: Vec<Option<Guard>>,
}

impl Loaded {
    /// Wraps a validated program.
    pub fn new(program: Program) -> Loaded {
        let mut rodeo = Rodeo::default();
        for s in &program.strings {
            rodeo.get_or_intern(s.as_str());
        }
        let strs = program
            .strings
            .iter()
            .map(|s| Rc::from(s.as_str()))
            .collect();
        let mut loaded = Loaded {
            program,
            strs,
            names: rodeo.into_reader(),
            code: Vec::new(),
            guards: Vec::new(),
        };
        loaded.guards = loaded
            .program
            .feature_sets
            .iter()
            .map(|fs| {
                split_activity(loaded.s(fs.activity))
                    .1
                    .and_then(Guard::parse)
            })
            .collect();
        loaded.code = loaded
            .program
            .feature_sets
            .iter()
            .map(|fs| crate::runtime::lower::lower(&loaded.strs, fs))
            .collect();
        loaded
    }

    /// Reads and validates `.arob` bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Loaded, String> {
        arob::read(bytes)
            .map(Loaded::new)
            .map_err(|e| e.to_string())
    }

    /// The string-table index of `name`, if the program mentions it.
    pub fn sym(&self, name: &str) -> Option<u32> {
        self.names.get(name).map(|k| k.into_usize() as u32)
    }

    /// The string at index `i`.
    pub fn s(&self, i: u32) -> &str {
        self.strs.get(i as usize).map_or("", |s| s)
    }

    /// Per feature set: whether it names any of `names` in a descriptor (as a base or a
    /// specifier), or any template does (a template sees its renderer's variables).
    pub fn mentioning(&self, names: &[&str]) -> Vec<bool> {
        let syms: Vec<u32> = names.iter().filter_map(|n| self.sym(n)).collect();
        let mentions = |f: &arovm_compiler::bytecode::FeatureSetCode| {
            f.descs
                .iter()
                .any(|d| syms.contains(&d.base) || d.specs.iter().any(|s| syms.contains(s)))
        };
        let sets = &self.program.feature_sets;
        let templates = sets
            .iter()
            .any(|f| self.s(f.name).starts_with("template:") && mentions(f));
        sets.iter().map(|f| templates || mentions(f)).collect()
    }

    /// Feature set index by exact name (and activity, when given).
    pub fn feature_set(&self, name: &str, activity: Option<&str>) -> Option<usize> {
        self.program.feature_sets.iter().position(|fs| {
            self.s(fs.name) == name && activity.is_none_or(|a| self.s(fs.activity) == a)
        })
    }

    /// The user-defined action `name` (ARO-0081): a feature set whose activity is `Action`.
    pub fn user_action(&self, name: &str) -> Option<usize> {
        self.program.feature_sets.iter().position(|fs| {
            self.s(fs.name) == name && arovm_compiler::user_actions::is_action(self.s(fs.activity))
        })
    }

    /// Handlers of a domain event, in declaration order: activity `<Event> Handler`, with or
    /// without a field guard (`<Event> Handler<field:value>`, see [`Loaded::guards`]). A state
    /// transition's handlers may name the entity first (`Order StateTransition Handler`).
    pub fn handlers(&self, event: &str) -> Vec<usize> {
        let transition = event == "StateTransition";
        self.program
            .feature_sets
            .iter()
            .enumerate()
            .filter(|(_, fs)| {
                let (base, _) = split_activity(self.s(fs.activity));
                // `<Event> Handler`, or `<Entity> StateTransition Handler` (no allocation per emit).
                base.strip_suffix(" Handler")
                    .and_then(|b| b.strip_suffix(event))
                    .is_some_and(|head| head.is_empty() || (transition && head.ends_with(' ')))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Observers of a repository: activity `<repo> Observer`.
    pub fn observers(&self, repo: &str) -> Vec<usize> {
        self.with_activity(&format!("{repo} Observer"))
    }

    fn with_activity(&self, activity: &str) -> Vec<usize> {
        self.program
            .feature_sets
            .iter()
            .enumerate()
            .filter(|(_, fs)| self.s(fs.activity) == activity)
            .map(|(i, _)| i)
            .collect()
    }
}
