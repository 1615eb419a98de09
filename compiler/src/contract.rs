//! The app's contract: `openapi.yaml` read at build time into the routes and the HTTP port stored in
//! the `.arob` (the VM never parses YAML). Problems are diagnostics at the YAML's line:col.

use crate::diagnostics::Diagnostics;
use crate::source::{FileId, SourceMap, Span};
use yaml_rust2::{Yaml, YamlLoader};

/// One operation: `METHOD /path/{param}` → `operationId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method (`GET`).
    pub method: String,
    /// The path template (`/users/{id}`).
    pub path: String,
    /// The operationId (= the feature set that handles it).
    pub operation: String,
    /// Declares a `101` response: a WebSocket upgrade, which needs no feature set.
    pub websocket: bool,
    /// Byte offset of the operationId in the YAML (for diagnostics).
    pub offset: u32,
    /// Query parameters declared with `schema: {type: array}` (they arrive as lists).
    pub array_params: Vec<String>,
}

/// What the contract tells the runtime.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contract {
    /// Port of `servers[0].url` (the reference's default is 8080).
    pub port: u16,
    /// Routes in file order.
    pub routes: Vec<Route>,
}

/// The reference's default HTTP port.
pub const DEFAULT_PORT: u16 = 8080;

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn offset_of(text: &str, line: usize, col: usize) -> u32 {
    let mut off = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (off + col.min(l.len())) as u32;
        }
        off += l.len();
    }
    off as u32
}

/// Port of a server URL like `http://localhost:8080/api` (None when it names none).
pub fn port_of_url(url: &str) -> Option<u16> {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split('/').next().unwrap_or(rest);
    let port = host.rsplit_once(':')?.1;
    port.parse().ok()
}

/// Parses the contract text of file `file`; reports problems into `diags`.
pub fn parse(file: FileId, sources: &SourceMap, diags: &mut Diagnostics) -> Contract {
    let text = &sources.file(file).text;
    let at = |lo: u32| Span {
        file,
        lo,
        hi: lo + 1,
    };
    let docs = match YamlLoader::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let m = e.marker();
            let lo = offset_of(text, m.line(), m.col());
            diags.error_hint(
                at(lo),
                format!("Invalid openapi.yaml: {}", e.info()),
                "fix the YAML syntax",
            );
            return Contract {
                port: DEFAULT_PORT,
                routes: Vec::new(),
            };
        }
    };
    let Some(doc) = docs.first() else {
        return Contract {
            port: DEFAULT_PORT,
            routes: Vec::new(),
        };
    };
    let port = doc["servers"][0]["url"]
        .as_str()
        .and_then(port_of_url)
        .unwrap_or(DEFAULT_PORT);
    let mut routes = Vec::new();
    if let Yaml::Hash(paths) = &doc["paths"] {
        for (path, item) in paths {
            let Some(path) = path.as_str() else { continue };
            let Yaml::Hash(ops) = item else { continue };
            for (method, op) in ops {
                let Some(method) = method.as_str() else {
                    continue;
                };
                if !METHODS.contains(&method.to_ascii_lowercase().as_str()) {
                    continue;
                }
                let Some(operation) = op["operationId"].as_str() else {
                    let lo = text.find(path).unwrap_or(0) as u32;
                    diags.error_hint(
                        at(lo),
                        format!("Operation {} {path} has no operationId", method.to_ascii_uppercase()),
                        "each operation names the feature set that handles it: operationId: listUsers",
                    );
                    continue;
                };
                let websocket = match &op["responses"] {
                    Yaml::Hash(h) => h.keys().any(|k| match k {
                        Yaml::Integer(101) => true,
                        Yaml::String(s) => s == "101",
                        _ => false,
                    }),
                    _ => false,
                };
                let mut array_params = Vec::new();
                for params in [&item["parameters"], &op["parameters"]] {
                    if let Yaml::Array(ps) = params {
                        for p in ps {
                            if p["in"].as_str() == Some("query")
                                && p["schema"]["type"].as_str() == Some("array")
                            {
                                if let Some(n) = p["name"].as_str() {
                                    array_params.push(n.to_string());
                                }
                            }
                        }
                    }
                }
                let needle = format!("operationId: {operation}");
                let offset = text.find(&needle).map_or(0, |i| i + 13) as u32;
                routes.push(Route {
                    method: method.to_ascii_uppercase(),
                    path: path.to_string(),
                    operation: operation.to_string(),
                    websocket,
                    offset,
                    array_params,
                });
            }
        }
    }
    Contract { port, routes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_port_and_routes() {
        let mut sources = SourceMap::default();
        let f = sources.add(
            "openapi.yaml".into(),
            "openapi: 3.0.0\nservers:\n  - url: http://localhost:9123\npaths:\n  /users/{id}:\n    get:\n      operationId: getUser\n    delete:\n      operationId: deleteUser\n".into(),
        );
        let mut d = Diagnostics::default();
        let c = parse(f, &sources, &mut d);
        assert!(d.is_empty());
        assert_eq!(c.port, 9123);
        assert_eq!(c.routes.len(), 2);
        assert_eq!(c.routes[1].method, "DELETE");
        assert_eq!(port_of_url("http://h"), None);
    }
}
