//! `scopecloud-worker`: thin command-line front end over `worker_core`.
//! Contract: stdout carries only JSON (progress lines, or the `info` document); human-readable
//! logs and the one-line error go to stderr; the exit code says what failed (see `exit.rs`).

mod args;
mod commands;
mod exit;
mod progress;

use clap::Parser;

fn main() {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let quiet = cli.quiet;
    // A panic is a bug: report it as one line and the internal-error code.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error: {}", info);
    }));
    let result = std::panic::catch_unwind(|| commands::run(cli))
        .unwrap_or_else(|_| Err(exit::CliError::Internal("panic (see message above)".into())));
    match result {
        Ok(()) => std::process::exit(exit::OK),
        Err(e) => {
            if !quiet || e.code() != exit::OK {
                eprintln!("scopecloud-worker: {}", e);
            }
            std::process::exit(e.code());
        }
    }
}
