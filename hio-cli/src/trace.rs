//! `hio trace`: a JSON scenario in, its lifecycle trace out as JSON lines.

use std::io::Read;
use std::process::ExitCode;

/// `hio trace`'s arguments.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario file, or `-` for standard input.
    file: String,
}

/// Runs `hio trace`: exit code 2 for a file that cannot be read or a
/// scenario that cannot be run.
pub fn main(args: Args) -> ExitCode {
    let file = args.file;
    let text = if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(&file)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("hio trace: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match hio_trace::run(&text) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hio trace: {e}");
            ExitCode::from(2)
        }
    }
}
