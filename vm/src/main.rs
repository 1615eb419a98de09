//! The `arovm` binary: a thin wrapper around [`arovm::cli::main`].

fn main() {
    std::process::exit(arovm::cli::main());
}
