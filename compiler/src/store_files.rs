//! `.store` seed files (ARO-0073): `<name>.store`, a YAML list, fills `<singular name>-repository`
//! before `Application-Start`. The compiler checks each file and embeds it as JSON
//! (`:store/<repo>` resources, a name no file can clash with) so the runtime needs no YAML parser.

use crate::bytecode::Resource;
use crate::diagnostics::Diagnostics;
use crate::source::{SourceMap, Span};
use yaml_rust2::{ScanError, Yaml, YamlLoader};

/// The resource path prefix of a converted seed file.
pub const PREFIX: &str = ":store/";

/// The repository a `.store` file seeds: `users.store` → `user-repository` (one trailing `s`
/// dropped), `config.store` → `config-repository`.
pub fn repository_name(path: &str) -> Option<String> {
    let file = path.rsplit('/').next()?;
    let stem = file.strip_suffix(".store")?;
    if stem.is_empty() {
        return None;
    }
    let singular = match stem.strip_suffix('s') {
        Some(s) if !s.is_empty() => s,
        _ => stem,
    };
    Some(format!("{singular}-repository"))
}

/// Converts every `*.store` resource into a `:store/<repo>` JSON resource; malformed files are
/// diagnostics at their line and column.
pub fn seeds(
    resources: &[Resource],
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Vec<Resource> {
    let mut out = Vec::new();
    for r in resources {
        let Some(repo) = repository_name(&r.path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&r.bytes).into_owned();
        let file = sources.add(r.path.clone(), text);
        let text = &sources.file(file).text;
        let whole = Span {
            file,
            lo: 0,
            hi: text.len().min(1) as u32,
        };
        let docs = match YamlLoader::load_from_str(text) {
            Ok(d) => d,
            Err(e) => {
                diags.error_hint(
                    span_of(text, &e, file),
                    format!("Malformed store file: {}", e.info()),
                    "a .store file is a YAML list of entries (`- name: Alice`)",
                );
                continue;
            }
        };
        let rows = match docs.first() {
            None | Some(Yaml::Null) => Vec::new(),
            Some(Yaml::Array(items)) => items.iter().map(to_json).collect(),
            Some(_) => {
                diags.error_hint(
                    whole,
                    format!("The store file {} is not a YAML list", r.path),
                    "write one entry per `- ` item",
                );
                continue;
            }
        };
        if out
            .iter()
            .any(|s: &Resource| s.path == format!("{PREFIX}{repo}"))
        {
            diags.error_hint(
                whole,
                format!("A second store file seeds {repo}"),
                "one .store file per repository",
            );
            continue;
        }
        out.push(Resource {
            path: format!("{PREFIX}{repo}"),
            bytes: serde_json::Value::Array(rows).to_string().into_bytes(),
        });
    }
    out
}

/// The span of a YAML error (its line and column; the whole first character when unknown).
fn span_of(text: &str, e: &ScanError, file: crate::source::FileId) -> Span {
    let m = e.marker();
    let lo = text
        .char_indices()
        .nth(m.index())
        .map_or(text.len(), |(i, _)| i) as u32;
    Span {
        file,
        lo,
        hi: lo + 1,
    }
}

/// A YAML value as JSON (keys as text).
fn to_json(y: &Yaml) -> serde_json::Value {
    use serde_json::Value as J;
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| J::String(s.clone()), J::Number),
        Yaml::Integer(i) => J::from(*i),
        Yaml::String(s) => J::String(s.clone()),
        Yaml::Boolean(b) => J::Bool(*b),
        Yaml::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Yaml::Hash(h) => J::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => String::new(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => J::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::repository_name;

    #[test]
    fn file_names_map_to_singular_repositories() {
        assert_eq!(
            repository_name("users.store").as_deref(),
            Some("user-repository")
        );
        assert_eq!(
            repository_name("data/order-items.store").as_deref(),
            Some("order-item-repository")
        );
        assert_eq!(
            repository_name("config.store").as_deref(),
            Some("config-repository")
        );
        assert_eq!(repository_name("s.store").as_deref(), Some("s-repository"));
        assert_eq!(repository_name("notes.txt"), None);
    }
}
