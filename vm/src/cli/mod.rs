//! The `arovm` command line (argh): `run DIR`, `build DIR [-o FILE]`, `check DIR`, `disasm FILE`,
//! `test DIR`, and `arovm app.arob`. Exit codes: 0 ok, 1 runtime error, 2 compile error,
//! 3 unreadable input or invalid `.arob`.

mod params;

use crate::driver::{self, RunOptions};
use crate::loader::Loaded;
use crate::runtime::app::run_tests;
use argh::FromArgs;
use arovm_compiler::bytecode::{arob, disasm, Program};
use arovm_compiler::{compile_dir, CompileError};
use std::path::{Path, PathBuf};

/// Exit code: compile errors.
pub const EXIT_COMPILE: i32 = 2;
/// Exit code: unreadable input or invalid `.arob`.
pub const EXIT_INPUT: i32 = 3;

/// arovm: a small, fast runtime for ARO applications.
#[derive(FromArgs)]
struct Cli {
    /// print the version and exit
    #[argh(switch)]
    version: bool,
    #[argh(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Cmd {
    Run(RunCmd),
    Build(BuildCmd),
    Check(CheckCmd),
    Disasm(DisasmCmd),
    Test(TestCmd),
}

/// Compile an app directory in memory and run it (or run an .arob file). `arovm app.arob
/// [FLAGS]` takes the same flags.
#[derive(FromArgs)]
#[argh(subcommand, name = "run")]
struct RunCmd {
    /// the app directory (or an .arob file)
    #[argh(positional)]
    path: PathBuf,
    /// keep serving after Application-Start returns, until SIGINT/SIGTERM
    #[argh(switch)]
    keep_alive: bool,
    /// HTTP port (overrides openapi.yaml and ARO_HTTP_PORT)
    #[argh(option)]
    port: Option<u16>,
    /// address or host name servers bind to (default 0.0.0.0, or AROVM_BIND)
    #[argh(option)]
    bind: Option<String>,
    /// print per-feature-set and per-action counts and time to stderr at exit
    #[argh(switch)]
    profile_actions: bool,
    /// put a failed handler's runtime error into its HTTP 500 body (development only)
    #[argh(switch)]
    debug_errors: bool,
    /// developer output (ARO-0031): typed Log lines `LOG[console] Feature: String("…")` and
    /// the final response as a table
    #[argh(switch)]
    debug: bool,
    /// log format: text (default) or json (also AROVM_LOG_FORMAT); levels: ARO_LOG_LEVEL
    #[argh(option)]
    log_format: Option<String>,
    /// no access lines (also AROVM_ACCESS_LOG=off)
    #[argh(switch)]
    no_access_log: bool,
    /// serve /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9100 (AROVM_ADMIN)
    #[argh(option)]
    admin: Option<String>,
    /// proxies (CIDR, comma-separated) whose X-Forwarded-For/Forwarded name the client
    /// (AROVM_TRUSTED_PROXIES)
    #[argh(option)]
    trusted_proxy: Vec<String>,
    /// PEM certificate chain: serve HTTPS and WSS (AROVM_TLS_CERT)
    #[argh(option)]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (AROVM_TLS_KEY)
    #[argh(option)]
    tls_key: Option<PathBuf>,
    /// fail when the compiler reports a warning
    #[argh(switch)]
    deny_warnings: bool,
    /// write the run's domain events to this JSON file when the app ends
    #[argh(option)]
    record: Option<PathBuf>,
    /// publish the domain events of this recording (from --record) after start-up
    #[argh(option)]
    replay: Option<PathBuf>,
}

/// Run options from the flags and the environment; an invalid setting is an error at start-up.
fn options(f: &RunCmd) -> Result<RunOptions, String> {
    let mut o = RunOptions::from_env()?;
    if let Some(b) = &f.bind {
        o.bind = crate::driver::resolve_bind(b).map_err(|e| format!("--bind: {e}"))?;
    }
    o.port = f.port;
    o.keep_alive = f.keep_alive;
    o.profile_actions = f.profile_actions;
    o.debug_errors = f.debug_errors;
    o.debug = f.debug;
    if let Some(fmt) = &f.log_format {
        o.log_format =
            crate::driver::parse_log_format(fmt).map_err(|e| format!("--log-format: {e}"))?;
    }
    if f.no_access_log {
        o.access_log = false;
    }
    if let Some(a) = &f.admin {
        o.admin = Some(crate::driver::parse_admin(a).map_err(|e| format!("--admin: {e}"))?);
    }
    for t in &f.trusted_proxy {
        o.trusted_proxies.extend(
            crate::net::http::forwarded::parse_list(t)
                .map_err(|e| format!("--trusted-proxy: {e}"))?,
        );
    }
    if f.tls_cert.is_some() {
        o.tls_cert = f.tls_cert.clone();
    }
    if f.tls_key.is_some() {
        o.tls_key = f.tls_key.clone();
    }
    o.record = f.record.clone();
    if let Some(path) = &f.replay {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("--replay {}: {e}", path.display()))?;
        o.replay = crate::runtime::recording::domain_events(&text)
            .map_err(|e| format!("--replay {}: {e}", path.display()))?;
    }
    Ok(o)
}

/// Runs `r.path` with its flags and the app's parameters, or reports a configuration error
/// (exit 3).
fn run_with(r: &RunCmd, parameters: Parameters) -> i32 {
    match options(r) {
        Ok(mut o) => {
            o.parameters = parameters;
            run_path(&r.path, o)
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_INPUT
        }
    }
}

/// Compile an app directory into one .arob file.
#[derive(FromArgs)]
#[argh(subcommand, name = "build")]
struct BuildCmd {
    /// the app directory
    #[argh(positional)]
    dir: PathBuf,
    /// output file (default: app.arob in the current directory)
    #[argh(option, short = 'o')]
    output: Option<PathBuf>,
    /// fail when the compiler reports a warning
    #[argh(switch)]
    deny_warnings: bool,
}

/// Report diagnostics for an app directory without running it.
#[derive(FromArgs)]
#[argh(subcommand, name = "check")]
struct CheckCmd {
    /// the app directory
    #[argh(positional)]
    dir: PathBuf,
    /// fail when the compiler reports a warning
    #[argh(switch)]
    deny_warnings: bool,
}

/// Print an .arob file (or a compiled app directory) as readable bytecode.
#[derive(FromArgs)]
#[argh(subcommand, name = "disasm")]
struct DisasmCmd {
    /// the .arob file or app directory
    #[argh(positional)]
    path: PathBuf,
}

/// Run the feature sets whose business activity ends in `Test` or `Tests` (ARO-0015).
#[derive(FromArgs)]
#[argh(subcommand, name = "test")]
struct TestCmd {
    /// the app directory
    #[argh(positional)]
    dir: PathBuf,
    /// fail when the compiler reports a warning
    #[argh(switch)]
    deny_warnings: bool,
    /// run only the tests whose name contains this text
    #[argh(option)]
    filter: Option<String>,
    /// no ANSI colours (they are used only when stdout is a terminal and NO_COLOR is unset)
    #[argh(switch)]
    no_color: bool,
    /// accepted for the reference's CLI; the report is the same
    #[argh(switch)]
    verbose: bool,
}

/// The app's command-line parameters (ARO-0047).
type Parameters = Vec<(std::rc::Rc<str>, arovm_stdlib::value::Value)>;

/// Entry point; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().collect();
    let all: Vec<&str> = args.iter().map(String::as_str).collect();
    // A run's flags that are not arovm's own are the app's parameters.
    let mut parameters = Parameters::new();
    let mut kept: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    let run_at = match all.get(1) {
        Some(a) if a.ends_with(".arob") => Some(1),
        Some(&"run") => Some(2),
        _ => None,
    };
    if let Some(at) = run_at.filter(|&at| at <= all.len()) {
        let (ours, params) = params::split(&all[at..]);
        kept.truncate(at);
        kept.extend(ours);
        parameters = params;
    }
    let strs: Vec<&str> = kept.iter().map(String::as_str).collect();
    if args.len() >= 2 && args[1].ends_with(".arob") {
        return match RunCmd::from_args(&["arovm"], &strs[1..]) {
            Ok(r) => run_with(&r, parameters),
            Err(e) if e.status.is_ok() => {
                println!("{}", e.output);
                0
            }
            Err(e) => {
                eprintln!("{}", e.output);
                EXIT_INPUT
            }
        };
    }
    let cli = match Cli::from_args(&["arovm"], strs.get(1..).unwrap_or(&[])) {
        Ok(c) => c,
        Err(e) => {
            if e.status.is_ok() {
                println!("{}", e.output);
                return 0;
            }
            eprintln!("{}", e.output);
            return EXIT_INPUT;
        }
    };
    if cli.version {
        println!(
            "arovm {} ({})",
            env!("CARGO_PKG_VERSION"),
            option_env!("AROVM_GIT_REVISION").unwrap_or("unknown revision")
        );
        return 0;
    }
    let deny = match &cli.cmd {
        Some(Cmd::Run(r)) => r.deny_warnings,
        Some(Cmd::Build(b)) => b.deny_warnings,
        Some(Cmd::Check(c)) => c.deny_warnings,
        Some(Cmd::Test(t)) => t.deny_warnings,
        _ => false,
    };
    DENY_WARNINGS.store(deny, std::sync::atomic::Ordering::Relaxed);
    match cli.cmd {
        None => {
            eprintln!(
                "usage: arovm <run|build|check|disasm|test> PATH, or arovm app.arob (see --help)"
            );
            EXIT_INPUT
        }
        Some(Cmd::Run(r)) => run_with(&r, parameters),
        Some(Cmd::Test(t)) => match load_any(&t.dir) {
            Ok(l) => {
                use std::io::IsTerminal;
                let _ = t.verbose;
                let color = !t.no_color
                    && std::env::var_os("NO_COLOR").is_none()
                    && std::io::stdout().is_terminal();
                run_tests(&l, t.filter.as_deref(), color)
            }
            Err(code) => code,
        },
        Some(Cmd::Build(b)) => match compile(&b.dir) {
            Ok(p) => {
                let out = b.output.unwrap_or_else(|| PathBuf::from("app.arob"));
                match std::fs::write(&out, arob::write(&p)) {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("error: cannot write {}: {e}", out.display());
                        EXIT_INPUT
                    }
                }
            }
            Err(code) => code,
        },
        Some(Cmd::Check(c)) => match compile(&c.dir) {
            Ok(p) => {
                if p.warnings.is_empty() {
                    println!("no issues found");
                }
                0
            }
            Err(code) => code,
        },
        Some(Cmd::Disasm(d)) => match load_any(&d.path) {
            Ok(l) => {
                print!("{}", disasm::disasm(&l.program));
                0
            }
            Err(code) => code,
        },
    }
}

/// `--deny-warnings` was given: a compile warning fails the build.
static DENY_WARNINGS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Compiles a directory, printing warnings, and diagnostics on failure.
fn compile(dir: &Path) -> Result<Program, i32> {
    let program = compile_dir(dir).map_err(|e| match e {
        CompileError::Io(m) => {
            eprintln!("error: {m}");
            EXIT_INPUT
        }
        CompileError::Diagnostics(text) => {
            eprint!("{text}");
            EXIT_COMPILE
        }
    })?;
    if !program.warnings.is_empty() {
        eprint!("{}", program.warnings);
        if DENY_WARNINGS.load(std::sync::atomic::Ordering::Relaxed) {
            eprintln!("error: could not compile: warnings are denied (--deny-warnings)");
            return Err(EXIT_COMPILE);
        }
    }
    Ok(program)
}

/// Loads an `.arob` file or compiles a directory.
fn load_any(path: &Path) -> Result<Loaded, i32> {
    if path.is_dir() {
        return compile(path).map(Loaded::new);
    }
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        EXIT_INPUT
    })?;
    Loaded::from_bytes(&bytes).map_err(|e| {
        eprintln!("error: {}: {e}", path.display());
        EXIT_INPUT
    })
}

fn run_path(path: &Path, mut opts: RunOptions) -> i32 {
    opts.compiled = !path.is_dir();
    match load_any(path) {
        Ok(l) => driver::run(&l, opts),
        Err(code) => code,
    }
}
