//! Contract routing: `{param}` path templates → the handling feature set; 404 for unknown paths,
//! 405 with `Allow` for a known path with another method.

use crate::loader::Loaded;
use arovm_compiler::bytecode::NONE;

enum Seg {
    Lit(String),
    Param(String),
}

struct Route {
    method: String,
    segs: Vec<Seg>,
    handler: Option<usize>,
    operation: String,
    arrays: Vec<String>,
}

/// The routing table built once at load.
pub struct Router {
    routes: Vec<Route>,
}

/// Where a request goes.
#[derive(Debug, PartialEq)]
pub enum Routed {
    /// A feature set with the path parameters.
    Handler {
        /// Feature set index.
        fs: usize,
        /// `{name}` → value, in template order.
        params: Vec<(String, String)>,
        /// Query parameters declared as arrays.
        arrays: Vec<String>,
    },
    /// The route exists but no feature set has its operationId.
    Unimplemented(String),
    /// No route has this path.
    NotFound,
    /// The path exists with other methods.
    MethodNotAllowed(Vec<String>),
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Decodes `%xx` escapes (and `+` as space when `plus` is set).
pub fn percent_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Router {
    /// Builds the table from the program's routes.
    pub fn new(prog: &Loaded) -> Router {
        let mut routes: Vec<Route> = prog
            .program
            .routes
            .iter()
            .map(|r| Route {
                method: prog.s(r.method).to_string(),
                segs: split(prog.s(r.path))
                    .map(
                        |s| match s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
                            Some(name) => Seg::Param(name.to_string()),
                            None => Seg::Lit(s.to_string()),
                        },
                    )
                    .collect(),
                handler: (r.handler != NONE).then_some(r.handler as usize),
                operation: prog.s(r.operation).to_string(),
                arrays: r
                    .array_params
                    .iter()
                    .map(|&a| prog.s(a).to_string())
                    .collect(),
            })
            .collect();
        // Most specific first: 10 per segment, 5 more per literal segment (the reference's rule).
        let score = |r: &Route| {
            let lits = r.segs.iter().filter(|s| matches!(s, Seg::Lit(_))).count();
            10 * r.segs.len() + 5 * lits
        };
        routes.sort_by_key(|r| std::cmp::Reverse(score(r)));
        Router { routes }
    }

    /// True when the app has any route.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Routes `method path` (path without the query string).
    pub fn route(&self, method: &str, path: &str) -> Routed {
        let parts: smallvec::SmallVec<[&str; 16]> = split(path).collect();
        let mut allowed = Vec::new();
        for r in &self.routes {
            if r.segs.len() != parts.len() {
                continue;
            }
            let mut params = Vec::new();
            let ok = r.segs.iter().zip(&parts).all(|(s, p)| match s {
                Seg::Lit(l) => l == p,
                Seg::Param(n) => {
                    params.push((n.clone(), percent_decode(p, false)));
                    true
                }
            });
            if !ok {
                continue;
            }
            let same = r.method == method || (method == "HEAD" && r.method == "GET");
            if !same {
                allowed.push(r.method.clone());
                continue;
            }
            return match r.handler {
                Some(fs) => Routed::Handler {
                    fs,
                    params,
                    arrays: r.arrays.clone(),
                },
                None => Routed::Unimplemented(r.operation.clone()),
            };
        }
        if allowed.is_empty() {
            Routed::NotFound
        } else {
            if allowed.iter().any(|m| m == "GET") {
                allowed.push("HEAD".into());
            }
            allowed.dedup();
            Routed::MethodNotAllowed(allowed)
        }
    }
}
