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
    let tpl = "<p>é{{ étre }}ü{{ <ñ> | ö }}{{ ß }}{{ for each <é> in <ü> { }}{{ } }}€{{";
    let out = compile_with(
        app("Log \"x\" to the <console>."),
        vec![resource("templates/t.html", tpl)],
    );
    assert_diag(
        &out,
        "Expected a statement (an action verb), found 'étre'",
        "templates/t.html (template):1:",
    );
}
