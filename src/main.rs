//! The `overhelm` binary: parse the arguments, run the command, map the result to an exit code
//! (0 success, 1 golden drift, 2 any error).

use std::process::ExitCode;

use overhelm::commands::{self, Outcome};

fn main() -> ExitCode {
    match commands::run(overhelm::cli::parse()) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Drift) => ExitCode::from(1),
        Err(err) if commands::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            commands::report_error(&err);
            ExitCode::from(commands::exit_code(&err))
        }
    }
}
