//! The app's contract: `openapi.yaml` read at build time into the routes and the HTTP port stored in
//! the `.arob` (the VM never parses YAML). Problems are diagnostics at the YAML's line:col.

mod scan;

pub use scan::{MAX_CONTRACT_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES};

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

/// Port of a server URL like `http://localhost:8080/api`: `Ok(None)` when it names none (a
/// relative URL, no `:port`), `Err(port text)` when the port is not a number from 1 to 65535.
pub fn port_of_url(url: &str) -> Result<Option<u16>, String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(None);
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let port = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((_, "")) | None => return Ok(None),
            Some((_, after)) => after.strip_prefix(':').ok_or_else(|| after.to_string())?,
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((_, p)) => p,
            None => return Ok(None),
        }
    };
    if port.is_empty() {
        return Ok(None);
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(p)),
        _ => Err(port.to_string()),
    }
}

/// `url` with each `{name}` replaced by `variables.name.default` (OpenAPI server variables).
fn substitute(url: &str, variables: &Yaml) -> String {
    let mut out = String::new();
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        out.push_str(&rest[..open]);
        match &variables[name]["default"] {
            Yaml::String(s) | Yaml::Real(s) => out.push_str(s),
            Yaml::Integer(i) => out.push_str(&i.to_string()),
            _ => out.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses the contract text of file `file`; reports problems into `diags`.
pub fn parse(file: FileId, sources: &SourceMap, diags: &mut Diagnostics) -> Contract {
    let text = &sources.file(file).text;
    let at = |lo: u32| Span {
        file,
        lo,
        hi: lo + 1,
    };
    let empty = Contract {
        port: DEFAULT_PORT,
        routes: Vec::new(),
    };
    if text.len() > MAX_CONTRACT_BYTES {
        diags.error_hint(
            at(0),
            format!(
                "openapi.yaml is too large ({} bytes, at most {MAX_CONTRACT_BYTES})",
                text.len()
            ),
            "an OpenAPI contract of this size is not a contract a person can review",
        );
        return empty;
    }
    // The event scan refuses what would make the tree loader slow, huge or deeply recursive.
    let scan = match scan::scan(text) {
        Ok(s) => s,
        Err(r) => {
            diags.error_hint(at(r.offset), r.message, r.hint);
            return empty;
        }
    };
    let docs = match YamlLoader::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let m = e.marker();
            let lo = text
                .char_indices()
                .nth(m.index())
                .map_or(text.len(), |(i, _)| i);
            diags.error_hint(
                at(lo as u32),
                format!("Invalid openapi.yaml: {}", e.info()),
                "fix the YAML syntax",
            );
            return empty;
        }
    };
    let Some(doc) = docs.first() else {
        return empty;
    };
    let server = &doc["servers"][0];
    let port = match server["url"]
        .as_str()
        .map(|u| (u, substitute(u, &server["variables"])))
    {
        Some((raw, url)) => match port_of_url(&url) {
            Ok(p) => p.unwrap_or(DEFAULT_PORT),
            Err(bad) => {
                let lo = scan.scalars.get(raw).copied().unwrap_or(0);
                diags.error_hint(
                    Span {
                        file,
                        lo,
                        hi: lo + raw.len() as u32,
                    },
                    format!("Invalid port '{bad}' in servers[0].url '{url}'"),
                    "a port is a number from 1 to 65535, e.g. http://localhost:8080",
                );
                DEFAULT_PORT
            }
        },
        None => DEFAULT_PORT,
    };
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
                    let lo = scan.scalars.get(path).copied().unwrap_or(0);
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
                let offset = scan.operations.get(operation).copied().unwrap_or(0);
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
        assert_eq!(port_of_url("http://h"), Ok(None));
    }

    #[test]
    fn port_of_url_refuses_what_is_no_port() {
        assert_eq!(port_of_url("http://localhost:8080/api"), Ok(Some(8080)));
        assert_eq!(port_of_url("https://u:pw@h:443"), Ok(Some(443)));
        assert_eq!(port_of_url("http://[::1]:9000/x"), Ok(Some(9000)));
        assert_eq!(port_of_url("http://[::1]/x"), Ok(None));
        assert_eq!(port_of_url("/api/v1"), Ok(None));
        assert_eq!(port_of_url("http://h:/x"), Ok(None));
        for bad in ["99999", "abc", "0", "+80", "-1", "80x"] {
            assert_eq!(port_of_url(&format!("http://h:{bad}/")), Err(bad.into()));
        }
        let vars = YamlLoader::load_from_str("port: {default: '9100'}").expect("yaml");
        assert_eq!(
            substitute("http://h:{port}/v1", &vars[0]),
            "http://h:9100/v1"
        );
    }
}
