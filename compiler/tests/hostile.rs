//! Hostile inputs found by mutation testing: each must end in rustc-style diagnostics (or a
//! program), never a panic, a stack overflow or a hang. Everything runs on a thread with the main
//! thread's 8 MiB stack, so a test passes only if the real `arovm` binary would survive the input.

use arovm_compiler::bytecode::Resource;
use arovm_compiler::{compile_sources, CompileError};

/// The stack size of the main thread of the `arovm` binary on Linux.
const MAIN_STACK: usize = 8 << 20;

/// Runs `f` on a thread with the main thread's stack size.
fn on_main_sized_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(MAIN_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the compiler panicked")
}

/// Compiles `main.aro` plus resources; `Err` holds the rendered diagnostics.
fn compile_with(src: String, resources: Vec<Resource>) -> Result<(), String> {
    on_main_sized_stack(
        move || match compile_sources(vec![("main.aro".into(), src)], resources) {
            Ok(_) => Ok(()),
            Err(CompileError::Diagnostics(d)) => Err(d),
            Err(CompileError::Io(e)) => panic!("unexpected I/O error: {e}"),
        },
    )
}

/// The warnings of an app that must build (a broken template is one: it fails when rendered).
fn build_warnings(src: String, resources: Vec<Resource>) -> String {
    on_main_sized_stack(
        move || match compile_sources(vec![("main.aro".into(), src)], resources) {
            Ok(p) => p.warnings,
            Err(CompileError::Diagnostics(d)) => panic!("expected a build, got:\n{}", head(&d)),
            Err(CompileError::Io(e)) => panic!("unexpected I/O error: {e}"),
        },
    )
}

/// `warning: {message}` in `text`, with `location` on the line after it and the source below.
fn assert_warning(text: &str, message: &str, location: &str) {
    let at = text
        .find(&format!("warning: {message}"))
        .unwrap_or_else(|| panic!("no '{message}' in:\n{}", head(text)));
    let rest = &text[at..];
    assert!(
        rest.lines().nth(1).is_some_and(|l| l.contains(location)),
        "expected {location} after '{message}' in:\n{}",
        head(rest)
    );
    assert!(rest.lines().nth(3).is_some_and(|l| l.contains(" | ")));
}

fn compile(src: String) -> Result<(), String> {
    compile_with(src, Vec::new())
}

/// An application whose start feature set holds `body`.
fn app(body: &str) -> String {
    format!(
        "(Application-Start: Hostile) {{\n    {body}\n    Return an <OK: status> for the <application>.\n}}\n"
    )
}

fn resource(path: &str, text: &str) -> Resource {
    Resource {
        path: path.into(),
        bytes: text.as_bytes().to_vec(),
    }
}

/// Asserts a rendered diagnostic has `message` with a `file:line:col` location and the source line.
fn assert_diag(out: &Result<(), String>, message: &str, location: &str) {
    let text = out.as_ref().expect_err("expected diagnostics");
    let at = text
        .find(&format!("error: {message}"))
        .unwrap_or_else(|| panic!("no '{message}' in:\n{}", head(text)));
    let rest = &text[at..];
    assert!(
        rest.lines().nth(1).is_some_and(|l| l.contains(location)),
        "expected {location} after '{message}' in:\n{}",
        head(rest)
    );
    assert!(rest.lines().nth(3).is_some_and(|l| l.contains(" | ")));
}

/// The first lines of a long output, for failure messages.
fn head(text: &str) -> String {
    text.lines().take(12).collect::<Vec<_>>().join("\n")
}

#[test]
fn lowercase_non_ascii_verb_is_a_diagnostic() {
    let out = compile(app("étre the <a> with 1."));
    assert_diag(
        &out,
        "Expected a statement (an action verb), found 'étre'",
        "main.aro:2:5",
    );
    let text = out.unwrap_err();
    assert!(text.contains("hint: action verbs start with a capital letter: Étre"));
    assert!(
        text.contains("\n  |     ^^^^\n"),
        "caret covers 4 characters:\n{text}"
    );
}

#[test]
fn non_ascii_everywhere_in_a_template_is_a_diagnostic() {
    // A broken template is a warning (the app builds; rendering it fails), placed in the template.
    let tpl = "<p>é{{ étre }}ü{{ <ñ> | ö }}{{ ß }}{{ for each <é> in <ü> { }}{{ } }}€{{";
    let warnings = build_warnings(
        app("Log \"x\" to the <console>."),
        vec![resource("templates/t.html", tpl)],
    );
    assert_warning(
        &warnings,
        "Template 't.html' has an error: Expected a statement (an action verb), found 'étre'",
        "templates/t.html (template):1:",
    );
}

/// `"${"${"${…}"}"}"`: strings cannot nest inside `${ }`, so each level is an unterminated
/// interpolation plus a stray `$` — tens of thousands of errors on one 100 KB line. Rendering each
/// with its whole source line was quadratic (80 KB: 10 s, 2.5 GB); now at most
/// `MAX_ERRORS` are rendered, each with a window of the line, so the output size is bounded.
#[test]
fn deeply_nested_interpolation_output_is_bounded() {
    let nested = |k: usize| {
        app(&format!(
            "Log \"{}{}\" to the <console>.",
            "${\"".repeat(k),
            "}\"".repeat(k)
        ))
    };
    let small = compile(nested(10_000)).expect_err("refused");
    let large = compile(nested(20_000)).expect_err("refused");
    assert!(nested(20_000).len() > 100_000);
    assert_diag(
        &Err(large.clone()),
        "Unterminated interpolation: expected '}'",
        "main.aro:2:",
    );
    assert!(
        large.contains("(the first 100 are shown)"),
        "{}",
        head(&large)
    );
    assert!(large.len() < 64 * 1024, "output of {} bytes", large.len());
    // Twice the input, about the same output: nothing grows with the line length.
    assert!(large.len() < small.len() + small.len() / 10);
}

/// A line longer than the render window is shown as `...` + a window around the column + `...`.
#[test]
fn long_source_line_is_windowed() {
    let filler = "Log \"x\" to the <console>. ".repeat(100);
    let out = compile(app(&format!(
        "{filler}Frobnicate the <a> from the <b>. {filler}"
    )));
    let text = out.as_ref().expect_err("unknown verb");
    assert_diag(&out, "Unknown action verb: 'Frobnicate'", "main.aro:2:2605");
    let source_line = text.lines().nth(3).expect("source line");
    assert!(source_line.starts_with("2 | ...") && source_line.ends_with("..."));
    assert!(source_line.contains("Frobnicate the <a>"));
    let caret_line = text.lines().nth(4).expect("caret line");
    let caret = caret_line.find('^').expect("caret");
    assert_eq!(&source_line[caret..caret + 10], "Frobnicate");
    assert_eq!(caret_line.matches('^').count(), 10);
}

/// `Compute the <x> from <value>.` as the body.
fn compute(value: &str) -> String {
    app(&format!("Compute the <x> from {value}."))
}

/// Column (1-based) in line 2 of `app(...)` of byte `at` of the statement.
fn col(at: usize) -> String {
    format!("main.aro:2:{}", 5 + at)
}

const PREFIX: usize = "Compute the <x> from ".len();

#[test]
fn deep_parentheses_are_refused_at_the_limit() {
    let out = compile(compute(&format!(
        "{}1{}",
        "(".repeat(3100),
        ")".repeat(3100)
    )));
    // The clause's expression is the first level, each '(' one more: the 256th '(' opens the
    // 257th level, refused at the next token.
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        &col(PREFIX + 256),
    );
    assert!(out
        .unwrap_err()
        .contains("could not compile due to 1 error"));
}

#[test]
fn parentheses_up_to_the_limit_compile() {
    assert_eq!(
        compile(compute(&format!("{}1{}", "(".repeat(255), ")".repeat(255)))),
        Ok(())
    );
}

#[test]
fn deep_lists_are_refused_at_the_limit() {
    let out = compile(compute(&format!(
        "{}1{}",
        "[".repeat(3100),
        "]".repeat(3100)
    )));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        &col(PREFIX + 256),
    );
    assert!(out
        .unwrap_err()
        .contains("could not compile due to 1 error"));
}

#[test]
fn deep_objects_are_refused_at_the_limit() {
    let out = compile(compute(&format!(
        "{}1{}",
        "{a: ".repeat(3100),
        "}".repeat(3100)
    )));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        &col(PREFIX + 4 * 256),
    );
    assert!(out
        .unwrap_err()
        .contains("could not compile due to 1 error"));
}

#[test]
fn deep_objects_inside_an_interpolation_are_refused() {
    let inner = format!("{}1{}", "{a: ".repeat(3100), "}".repeat(3100));
    let out = compile(app(&format!("Log \"${{{inner}}}\" to the <console>.")));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        "main.aro:2:",
    );
}

#[test]
fn deep_not_and_minus_chains_are_refused() {
    let out = compile(compute(&format!("{}true", "not ".repeat(70_000))));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        "main.aro:2:",
    );
    let out = compile(compute(&format!("{}<y>", "- ".repeat(70_000))));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        "main.aro:2:",
    );
}

#[test]
fn deep_indexes_and_members_are_refused() {
    let out = compile(compute(&format!("<y>{}", "[<i>]".repeat(70_000))));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        "main.aro:2:",
    );
    let out = compile(compute(&format!(
        "<y>{}",
        "[".repeat(3100) + &"]".repeat(3100)
    )));
    assert!(out.is_err());
    let out = compile(compute(&format!("<y>{}", ".b".repeat(70_000))));
    assert_diag(
        &out,
        "Expression nested too deeply (more than 256 levels)",
        "main.aro:2:",
    );
}

/// A flat chain builds a left-leaning tree as tall as it has operators: refused at the 257th.
#[test]
fn long_flat_operator_chains_are_refused_at_the_limit() {
    for op in ["+", "-", "*", "/", "%", "++", "and", "or"] {
        let chain = vec!["1"; 70_000].join(&format!(" {op} "));
        let out = compile(compute(&chain));
        let at = PREFIX + 256 * (op.len() + 3) - op.len() - 1;
        assert_diag(
            &out,
            "Expression nested too deeply (more than 256 levels)",
            &col(at),
        );
    }
    let chain = vec!["1"; 256].join(" + ");
    assert_eq!(compile(compute(&chain)), Ok(()));
}

#[test]
fn deep_while_blocks_are_refused_at_the_limit() {
    let body = format!("{}{}", "while <x> > 0 { ".repeat(4090), "} ".repeat(4090));
    let out = compile(app(&format!("Create the <x> with 1. {body}")));
    let at = "Create the <x> with 1. ".len() + 256 * "while <x> > 0 { ".len() + 14;
    assert_diag(
        &out,
        "Blocks nested too deeply (more than 256 levels)",
        &col(at),
    );
    assert!(out
        .unwrap_err()
        .contains("could not compile due to 1 error"));
}

#[test]
fn deep_for_and_match_blocks_are_refused() {
    let body = format!(
        "{}{}",
        "for each <i> in [1] { match <i> { case 1 { ".repeat(2000),
        "} } } ".repeat(2000)
    );
    let out = compile(app(&body));
    assert_diag(
        &out,
        "Blocks nested too deeply (more than 256 levels)",
        "main.aro:2:",
    );
}

#[test]
fn blocks_up_to_the_limit_compile() {
    let body = format!(
        "Create the <x> with 1. {}Log <x> to the <console>. {}",
        "while <x> > 0 { ".repeat(256),
        "break. } ".repeat(256)
    );
    assert_eq!(compile(app(&body)), Ok(()));
}

#[test]
fn deep_template_blocks_are_refused() {
    let tpl = format!(
        "{}x{}",
        "{{ for each <x> in <xs> { }}".repeat(5000),
        "{{ } }}".repeat(5000)
    );
    let warnings = build_warnings(
        app("Log \"x\" to the <console>."),
        vec![resource("templates/deep.html", &tpl)],
    );
    assert_warning(
        &warnings,
        "Template 'deep.html' has an error: Blocks nested too deeply (more than 256 levels)",
        "templates/deep.html (template):1:",
    );
}

/// Every limit reached at once (blocks, parentheses, a chain, `not`s, an interpolation) still
/// compiles: parser, codegen and drop together fit the main thread's stack (in a debug build this
/// needs under 2 MiB of the 8).
#[test]
fn all_limits_at_once_compile() {
    let chain = vec!["<x>"; 200].join(" + ");
    let inner = format!("{}{chain}{}", "(".repeat(250), ")".repeat(250));
    let nots = "not ".repeat(250);
    let body = format!(
        "Create the <x> with 1. {}Log \"${{{inner}}}\" to the <console> when {nots}<x> > 0. {}",
        "while <x> > 0 { ".repeat(256),
        "break. } ".repeat(256)
    );
    assert_eq!(compile(app(&body)), Ok(()));
}

/// An app serving the contract `yaml` (one route, `getThing`).
fn with_contract(yaml: &str) -> Result<(), String> {
    let src = "(Application-Start: Api) {\n    Start the <http-server> with <contract>.\n    Keepalive the <application> for the <events>.\n    Return an <OK: status> for the <startup>.\n}\n(getThing: Api) {\n    Return an <OK: status> with { a: 1 }.\n}\n";
    compile_with(src.into(), vec![resource("openapi.yaml", yaml)])
}

const PATHS: &str = "paths:\n  /thing:\n    get:\n      operationId: getThing\n";

/// "Billion laughs": 386 bytes whose aliases expand to 9^9 strings (> 10 s and > 1 GB before).
#[test]
fn yaml_alias_bomb_is_refused() {
    let mut bomb = String::from("openapi: 3.0.0\nlol: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip("abcdefgh".chars())
    {
        let aliases = vec![format!("*{prev}"); 9].join(",");
        bomb += &format!("{name}: &{name} [{aliases}]\n");
    }
    assert!(bomb.len() < 400, "{} bytes", bomb.len());
    let out = with_contract(&(bomb + PATHS));
    assert_diag(
        &out,
        "openapi.yaml is too large once its aliases are expanded (more than 100000 nodes)",
        "openapi.yaml:6:34",
    );
}

#[test]
fn moderate_yaml_aliases_are_fine() {
    let yaml = format!(
        "openapi: 3.0.0\nx-common: &c {{description: ok}}\n{PATHS}      responses:\n        '200': *c\n"
    );
    assert_eq!(with_contract(&yaml), Ok(()));
}

#[test]
fn deeply_nested_yaml_is_refused() {
    let yaml = format!(
        "openapi: 3.0.0\n{PATHS}x-deep:\n  {}x\n",
        "- ".repeat(100_000)
    );
    let out = with_contract(&yaml);
    assert_diag(
        &out,
        "openapi.yaml is nested too deeply (more than 256 levels)",
        "openapi.yaml:7:",
    );
}

#[test]
fn huge_openapi_yaml_is_refused() {
    let yaml = format!("openapi: 3.0.0\n{PATHS}{}", "# padding\n".repeat(500_000));
    let out = with_contract(&yaml);
    assert_diag(
        &out,
        "openapi.yaml is too large (5000069 bytes, at most 4194304)",
        "openapi.yaml:1:1",
    );
}

#[test]
fn invalid_server_ports_are_compile_errors() {
    for (port, col) in [("99999", 10), ("abc", 10), ("0", 10), ("80x", 10)] {
        let yaml =
            format!("openapi: 3.0.0\nservers:\n  - url: http://localhost:{port}/v1\n{PATHS}");
        let out = with_contract(&yaml);
        assert_diag(
            &out,
            &format!("Invalid port '{port}' in servers[0].url 'http://localhost:{port}/v1'"),
            &format!("openapi.yaml:3:{col}"),
        );
    }
}

#[test]
fn server_variables_give_the_port() {
    let yaml = format!("openapi: 3.0.0\nservers:\n  - url: http://localhost:{{port}}\n    variables:\n      port:\n        default: '9123'\n{PATHS}");
    assert_eq!(with_contract(&yaml), Ok(()));
    let yaml = yaml.replace("'9123'", "'none'");
    let out = with_contract(&yaml);
    assert_diag(&out, "Invalid port 'none'", "openapi.yaml:3:10");
}

#[test]
fn http_server_without_openapi_yaml_is_a_compile_error() {
    let out = compile(app("Start the <http-server> with <contract>.\n    Keepalive the <application> for the <events>."));
    assert_diag(
        &out,
        "Start the <http-server> needs an openapi.yaml in the application directory",
        "main.aro:2:5",
    );
    assert!(out
        .unwrap_err()
        .contains("  |     ^^^^^^^^^^^^^^^^^^^^^^^\n"));
}

#[test]
fn websocket_only_server_needs_no_openapi_yaml() {
    let src = app("Start the <http-server> with { websocket: \"/ws\" }.\n    Keepalive the <application> for the <events>.")
        + "(Echo: WebSocket Event Handler) {\n    Extract the <m> from the <event: message>.\n    Send the <m> to the <connection>.\n    Return an <OK: status> for the <m>.\n}\n";
    assert_eq!(compile(src), Ok(()));
}
