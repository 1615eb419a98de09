//! The ARO compiler: source files → one [`bytecode::Program`] (written as `app.arob`).
//!
//! Pipeline: [`source`] files → [`lexer`] → [`parser`] (never fails; AST + diagnostics) →
//! [`codegen`] (scoped checks + ops per feature set) → app-level checks → [`bytecode::arob`].

pub mod ast;
pub mod bytecode;
pub mod codegen;
pub mod contract;
pub mod diagnostics;
pub mod lexer;
pub mod parser;
pub mod source;
pub mod store_files;
pub mod template;
pub mod user_actions;

use bytecode::{Program, Resource};
use diagnostics::Diagnostics;
use source::SourceMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why a compilation produced no program.
pub enum CompileError {
    /// The directory could not be read.
    Io(String),
    /// Diagnostics, already rendered rustc-style.
    Diagnostics(String),
}

/// Finds the `.aro` files (name, text) of an imported application: `(importing file, import)`.
pub type ImportResolver<'a> =
    dyn FnMut(&str, &parser::Import) -> Result<Vec<(String, String)>, String> + 'a;

/// Compiles in-memory sources (name, text) plus resources into a program. An `import` is an
/// error here: only [`compile_dir`] can find the imported directory.
pub fn compile_sources(
    files: Vec<(String, String)>,
    resources: Vec<Resource>,
) -> Result<Program, CompileError> {
    compile_with_imports(files, resources, &mut |_, _| {
        Err("imports are resolved only when compiling an app directory".into())
    })
}

/// [`compile_sources`] with `import` lines (ARO-0005) resolved by `resolve`: the imported
/// applications' feature sets join the program, their `Application-Start` and
/// `Application-End` do not.
pub fn compile_with_imports(
    files: Vec<(String, String)>,
    resources: Vec<Resource>,
    resolve: &mut ImportResolver,
) -> Result<Program, CompileError> {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let mut sets = Vec::new();
    let mut queue: std::collections::VecDeque<(String, String, bool)> =
        files.into_iter().map(|(n, t)| (n, t, false)).collect();
    while let Some((name, text, imported)) = queue.pop_front() {
        let id = sources.add(name.clone(), text);
        let (parsed, imports) =
            parser::parse_file_with_imports(id, &sources.file(id).text, &mut diags);
        sets.extend(parsed.into_iter().filter(|fs| {
            !(imported && matches!(fs.name.as_str(), "Application-Start" | "Application-End"))
        }));
        for imp in imports {
            match resolve(&name, &imp) {
                Ok(more) => queue.extend(more.into_iter().map(|(n, t)| (n, t, true))),
                Err(why) => diags.error_hint(
                    imp.span,
                    format!("Cannot import '{}': {why}", imp.path),
                    "import names an application directory relative to this file: import ../other-app",
                ),
            }
        }
    }
    app_checks(&sets, &sources, &mut diags);
    user_actions::check(&sets, &mut diags);
    unreachable_handlers(&sets, &mut diags);
    let mut broken: Vec<Resource> = Vec::new();
    for r in &resources {
        let Some(path) = r.path.strip_prefix("templates/") else {
            continue;
        };
        let text = String::from_utf8_lossy(&r.bytes);
        let generated = template::to_aro(path, &text);
        let id = sources.add(format!("{} (template)", r.path), generated);
        // A template is checked on its own: a broken one fails when it is rendered (and warns
        // now), as in the reference, instead of failing the whole app.
        let mut own = Diagnostics::default();
        let body = parser::parse_statements(id, &sources.file(id).text, &mut own);
        if !own.is_empty() {
            broken.push(broken_template(path, &own, &mut diags));
            continue;
        }
        sets.push(ast::FeatureSet {
            name: format!("template:{path}"),
            activity: "Template".into(),
            guard: None,
            body,
            span: source::Span {
                file: id,
                lo: 0,
                hi: 0,
            },
        });
    }
    let seeds = store_files::seeds(&resources, &mut sources, &mut diags);
    let mut strings = codegen::Interner::default();
    let mut program = Program::default();
    for fs in &sets {
        let Some(path) = fs.name.strip_prefix("template:") else {
            let code = codegen::feature_set(fs, &sources, &mut strings, &mut diags);
            program.feature_sets.push(code);
            continue;
        };
        let mut own = Diagnostics::default();
        let code = codegen::feature_set(fs, &sources, &mut strings, &mut own);
        if own.is_empty() {
            program.feature_sets.push(code);
        } else {
            // Templates come last: leaving one out moves no route's feature set index.
            broken.push(broken_template(path, &own, &mut diags));
        }
    }
    let contract_file = resources
        .iter()
        .find(|r| r.path == "openapi.yaml" || r.path == "openapi.yml")
        .map(|r| {
            sources.add(
                r.path.clone(),
                String::from_utf8_lossy(&r.bytes).into_owned(),
            )
        });
    if let Some(file) = contract_file {
        let c = contract::parse(file, &sources, &mut diags);
        program.http_port = c.port;
        let mut by_name: HashMap<&str, u32> = HashMap::new();
        for (i, fs) in sets.iter().enumerate() {
            by_name.entry(&fs.name).or_insert(i as u32);
        }
        for r in c.routes {
            let handler = by_name
                .get(r.operation.as_str())
                .copied()
                .unwrap_or(bytecode::NONE);
            if handler == bytecode::NONE && !r.websocket {
                let span = source::Span {
                    file,
                    lo: r.offset,
                    hi: r.offset + r.operation.len() as u32,
                };
                diags.error_hint(
                    span,
                    format!(
                        "Missing ARO feature set handler: {} {} requires feature set named '{}'",
                        r.method.to_ascii_lowercase(),
                        r.path,
                        r.operation
                    ),
                    "Create feature sets with names matching the operationIds in your OpenAPI contract.",
                );
            }
            program.routes.push(bytecode::RouteInfo {
                method: strings.intern(&r.method),
                path: strings.intern(&r.path),
                operation: strings.intern(&r.operation),
                handler,
                array_params: r.array_params.iter().map(|a| strings.intern(a)).collect(),
            });
        }
    } else {
        program.http_port = contract::DEFAULT_PORT;
        needs_contract(&sets, &mut diags);
    }
    for f in &sources.files {
        let sym = strings.intern(&f.name);
        program.files.push(sym);
    }
    if !diags.is_empty() {
        return Err(CompileError::Diagnostics(diagnostics::render(
            &sources, &diags,
        )));
    }
    program.strings = strings.into_strings();
    program.resources = resources;
    program.resources.extend(seeds);
    program.resources.extend(broken);
    program.warnings = diagnostics::render_warnings(&sources, &diags);
    Ok(program)
}

/// The resource path under which the first error of a broken template is kept (read by the VM
/// when the template is rendered).
pub const TEMPLATE_ERROR_PREFIX: &str = ":template-error/";

/// A template with errors: a warning now, and its first error kept for the render that fails.
fn broken_template(path: &str, own: &Diagnostics, diags: &mut Diagnostics) -> Resource {
    let first = own
        .list
        .first()
        .map_or("invalid template", |d| d.message.as_str());
    if let Some(d) = own.list.first() {
        diags.warn_hint(
            d.span,
            format!("Template '{path}' has an error: {first}"),
            "the app builds; rendering this template fails until it is fixed",
        );
    }
    Resource {
        path: format!("{TEMPLATE_ERROR_PREFIX}{path}"),
        bytes: first.as_bytes().to_vec(),
    }
}

/// App-level checks: exactly one `Application-Start`, no duplicate feature set names.
fn app_checks(sets: &[ast::FeatureSet], sources: &SourceMap, diags: &mut Diagnostics) {
    let starts: Vec<_> = sets
        .iter()
        .filter(|f| f.name == "Application-Start")
        .collect();
    if starts.is_empty() && !sets.is_empty() {
        diags.error_hint(
            sets[0].span,
            "No 'Application-Start' feature set found",
            "every application needs exactly one (Application-Start: Name) { ... }",
        );
    }
    // A map, not a list scan: an app may have tens of thousands of feature sets.
    let mut seen: HashMap<(&str, &str), source::Span> = HashMap::new();
    for fs in sets {
        let key_activity = if fs.name == "Application-End" {
            fs.activity.as_str()
        } else {
            ""
        };
        if let Some(prev) = seen.get(&(fs.name.as_str(), key_activity)) {
            let file = sources.file(prev.file);
            let line = file.line(prev.lo);
            diags.error_hint(
                fs.span,
                format!("Duplicate feature set name '{}'", fs.name),
                format!(
                    "a feature set with this name was already defined at {}:{line}",
                    file.name
                ),
            );
        } else {
            seen.insert((&fs.name, key_activity), fs.span);
        }
    }
}

/// Connection event handlers are chosen by a word in their name (the runtime's rule, as in the
/// reference): a `WebSocket Event Handler` or `Socket Event Handler` whose name has none of them
/// never runs, which is worth a warning. A legacy `StateObserver` would never run: an error.
fn unreachable_handlers(sets: &[ast::FeatureSet], diags: &mut Diagnostics) {
    for fs in sets {
        let activity = fs.activity.to_ascii_lowercase();
        if activity
            .split('<')
            .next()
            .unwrap_or("")
            .trim_end()
            .ends_with("stateobserver")
        {
            diags.error_hint(
                fs.span,
                format!("'{}' feature sets are not supported", fs.activity),
                "use a StateTransition Handler, with a guard such as <fieldName:status> or <toState:shipped>",
            );
            continue;
        }
        let words: &[&str] = if activity == "websocket event handler" {
            &["connect", "message", "disconnect"]
        } else if activity.contains("socket event handler") && !activity.contains("websocket") {
            &["connect", "disconnect", "data", "message", "received"]
        } else {
            continue;
        };
        let name = fs.name.to_ascii_lowercase();
        if !words.iter().any(|w| name.contains(w)) {
            diags.warn_hint(
                fs.span,
                format!(
                    "'{}' matches no event of a {}: it never runs",
                    fs.name, fs.activity
                ),
                format!(
                    "a {} runs for the event its name contains: {}",
                    fs.activity,
                    words.join(", ")
                ),
            );
        }
    }
}

/// Without openapi.yaml an HTTP server has no routes: unless the app handles WebSocket events
/// (a WebSocket-only server), `Start the <http-server>` is a compile error.
fn needs_contract(sets: &[ast::FeatureSet], diags: &mut Diagnostics) {
    let websocket = sets
        .iter()
        .any(|fs| fs.activity.eq_ignore_ascii_case("WebSocket Event Handler"));
    if websocket {
        return;
    }
    for fs in sets {
        if let Some(span) = start_http_server(&fs.body) {
            diags.error_hint(
                span,
                "Start the <http-server> needs an openapi.yaml in the application directory",
                "its paths and operationIds name the feature sets that handle requests",
            );
        }
    }
}

/// The span of the first `Start the <http-server>` in `body` (nested blocks included).
fn start_http_server(body: &[ast::Stmt]) -> Option<source::Span> {
    body.iter().find_map(|s| match s {
        ast::Stmt::Action(a) => {
            let ast::Operand::Desc(d) = &a.result else {
                return None;
            };
            let server = ["http-server", "httpserver", "server"]
                .iter()
                .any(|n| d.base.eq_ignore_ascii_case(n));
            (a.verb.eq_ignore_ascii_case("start") && server).then(|| a.verb_span.to(d.span))
        }
        ast::Stmt::Match {
            cases, otherwise, ..
        } => cases
            .iter()
            .map(|c| &c.body)
            .chain(otherwise)
            .find_map(|b| start_http_server(b)),
        ast::Stmt::While { body, .. }
        | ast::Stmt::Range { body, .. }
        | ast::Stmt::ForEach { body, .. } => start_http_server(body),
        ast::Stmt::Publish { .. } | ast::Stmt::Break { .. } => None,
    })
}

/// Compiles every `.aro` file of `dir` (main.aro first, then by path) and embeds its other files.
pub fn compile_dir(dir: &Path) -> Result<Program, CompileError> {
    let mut aro = Vec::new();
    let mut resources = Vec::new();
    walk(dir, dir, &mut aro, &mut resources)
        .map_err(|e| CompileError::Io(format!("cannot read {}: {e}", dir.display())))?;
    if aro.is_empty() {
        return Err(CompileError::Io(format!(
            "no .aro files found in {}",
            dir.display()
        )));
    }
    main_first(&mut aro);
    resources.sort_by(|a: &Resource, b| a.path.cmp(&b.path));
    writable_stores(dir, &resources)?;
    let mut seen: Vec<PathBuf> = dir.canonicalize().into_iter().collect();
    let mut program = compile_with_imports(aro, resources, &mut |from, imp| {
        import_dir(from, &imp.path, &mut seen)
    })?;
    relative_file_names(&mut program, dir);
    Ok(program)
}

/// Orders an app's `.aro` files as they are compiled: `main.aro` first, then by path.
fn main_first(aro: &mut [(String, String)]) {
    aro.sort_by(|a, b| {
        let not_main = |n: &str| n != "main.aro" && !n.ends_with("/main.aro");
        (not_main(&a.0), &a.0).cmp(&(not_main(&b.0), &b.0))
    });
}

/// The `.aro` files of the application `path` imported by the file `from` (main.aro first);
/// none when it is already part of the program (an import cycle, or imported twice).
fn import_dir(
    from: &str,
    path: &str,
    seen: &mut Vec<PathBuf>,
) -> Result<Vec<(String, String)>, String> {
    let base = Path::new(from).parent().unwrap_or(Path::new("."));
    let dir = base.join(path);
    let canon = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    if !canon.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    // Already part of the program: the app itself or its subdirectories (they are compiled with
    // it), an application imported before, an import cycle.
    if seen.iter().any(|s| canon.starts_with(s)) {
        return Ok(Vec::new());
    }
    seen.push(canon);
    let (mut aro, mut ignored) = (Vec::new(), Vec::new());
    walk(&dir, &dir, &mut aro, &mut ignored).map_err(|e| format!("{}: {e}", dir.display()))?;
    if aro.is_empty() {
        return Err(format!("no .aro files in {}", dir.display()));
    }
    main_first(&mut aro);
    Ok(aro)
}

/// Names the program's source files relative to the app directory (`main.aro`,
/// `api/users.aro`), as runtime places (`at=main.aro:12`) show them, whatever path the app was
/// compiled from; diagnostics keep the path as given. A name new to the string table is
/// appended, so every existing index keeps its string.
fn relative_file_names(program: &mut Program, root: &Path) {
    let root = root.display().to_string();
    for f in program.files.iter_mut() {
        let name = Path::new(&program.strings[*f as usize]);
        let Ok(rel) = name.strip_prefix(&root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        *f = match program.strings.iter().position(|s| *s == rel) {
            Some(i) => i as u32,
            None => {
                program.strings.push(rel);
                (program.strings.len() - 1) as u32
            }
        };
    }
}

/// ARO-0073 makes a `.store` file with the other-write bit writable (changes written back);
/// arovm does not write store files back yet, so such a file is refused instead of silently
/// losing the app's writes.
fn writable_stores(dir: &Path, resources: &[Resource]) -> Result<(), CompileError> {
    use std::os::unix::fs::PermissionsExt;
    for r in resources {
        if store_files::repository_name(&r.path).is_none() {
            continue;
        }
        let mode = std::fs::metadata(dir.join(&r.path)).map_or(0, |m| m.permissions().mode());
        if mode & 0o002 != 0 {
            return Err(CompileError::Diagnostics(format!(
                "error: {} has the other-write permission set: writable store files (changes \
                 written back, ARO-0073) are not supported by arovm\n  = hint: chmod o-w {} to \
                 use it as read-only seed data\nerror: could not compile due to 1 error\n",
                r.path, r.path
            )));
        }
    }
    Ok(())
}

/// The files besides `.aro` sources the compiler reads: the contract, templates and `.store`
/// seed files. Anything else in the directory (data files, logs, a 1 GB file the app streams)
/// is the app's to open at run time, not part of the build.
fn is_resource(rel: &str) -> bool {
    matches!(rel, "openapi.yaml" | "openapi.yml")
        || rel.starts_with("templates/")
        || rel.ends_with(".store")
}

fn walk(
    root: &Path,
    dir: &Path,
    aro: &mut Vec<(String, String)>,
    res: &mut Vec<Resource>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if entry.file_type()?.is_dir() {
            walk(root, &path, aro, res)?;
        } else if name.ends_with(".aro") {
            let text = std::fs::read(&path)?;
            let shown = format!(
                "{}",
                Path::new(&root.display().to_string()).join(&rel).display()
            );
            aro.push((shown, String::from_utf8_lossy(&text).into_owned()));
        } else if is_resource(&rel) {
            let bytes = std::fs::read(&path)?;
            res.push(Resource { path: rel, bytes });
        }
    }
    Ok(())
}
