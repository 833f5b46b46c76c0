//! The `overhelm` binary: parse the arguments, run the command, map the result to an exit code
//! (0 success, 1 golden drift, 2 any error).
//!
//! Documents are parsed recursively, so the command runs on the main thread only when its stack
//! (`RLIMIT_STACK`) holds the deepest nesting `--max-depth` allows ([`overhelm::stack`]), else
//! on a thread with a large stack: a deep document then fails with its error, never crashes.
//! That stack is reserved address space; only the pages a deep document really uses cost memory.
//!
//! A panic (a bug) is an error like any other: exit 2, nothing on stdout, and a message that
//! names where it happened but never the panic's text, which could quote document content
//! (a Secret's value in a string-slicing message, say).

use std::process::ExitCode;

use overhelm::commands::{self, Outcome};

/// mimalloc: parsing allocates many small maps and strings, and glibc's allocator spent a fifth
/// of a large render in malloc and free (README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        commands::report_error(&anyhow::anyhow!(
            "internal error{at}; this is a bug in overhelm, please report it (the message is withheld because it could quote a document)"
        ));
    }));
    // A large file on stdin (`overhelm render < file`): a thread started now lets the parallel
    // pass's worker run on another core (`stream::warm_up`).
    overhelm::stream::warm_up(overhelm::commands::stdin_file_len());
    let cli = overhelm::cli::parse();
    let depth = cli.max_depth();
    if overhelm::stack::main_thread_holds(depth) {
        // A panic has been reported by the hook; it ends the run like any other error.
        let result = std::panic::catch_unwind(|| commands::run(cli));
        return ExitCode::from(result.map_or(2, exit_code));
    }
    // The command's thread ends the process itself: handing its result back would wake this
    // thread on another core first (about 0.1 ms, a tenth of a small render's fixed cost).
    let worker = std::thread::Builder::new()
        .name("overhelm".into())
        .stack_size(overhelm::stream::STACK_BYTES)
        .spawn(|| std::process::exit(exit_code(commands::run(cli)).into()));
    match worker {
        Ok(handle) => {
            // Meanwhile, on this otherwise idle thread: the core count, which the parallel pass's
            // first worker would otherwise read from `/proc` and `/sys` before taking a block.
            overhelm::stream::cores();
            // Back here only when the command panicked; the panic hook has reported it.
            let _ = handle.join();
            ExitCode::from(2)
        }
        Err(err) => {
            commands::report_error(&anyhow::anyhow!(
                "cannot start the command's thread ({err}): its stack of {} MiB holds --max-depth {}, which this process's stack (`ulimit -s`) does not; lower --max-depth or raise `ulimit -s`",
                overhelm::stream::STACK_BYTES >> 20,
                depth
            ));
            ExitCode::from(2)
        }
    }
}

/// The exit code of a command's result (0 success, 1 drift, 2 error), its error reported.
fn exit_code(result: anyhow::Result<Outcome>) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::Drift) => 1,
        Err(err) if commands::is_broken_pipe(&err) => 0,
        Err(err) => {
            commands::report_error(&err);
            commands::exit_code(&err)
        }
    }
}
