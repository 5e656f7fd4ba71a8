//! Standard output of the commands. A reader that goes away early (`jixiao import … | head`)
//! ends the command quietly, as a pipe's writer does, rather than with a panic: `println!`
//! panics on a broken pipe, and the signal a C program dies of is not ours to restore (the
//! workspace forbids `unsafe`).

use std::io::Write;

/// The exit status of a process ended by a closed pipe (128 + SIGPIPE), as shells report it.
pub const BROKEN_PIPE_STATUS: i32 = 141;

/// Writes `text` to standard output; ends the process with [`BROKEN_PIPE_STATUS`] when the
/// reader has gone.
pub fn write(text: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_fmt(text).and_then(|()| out.flush()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        eprintln!("error: writing to standard output: {error}");
        std::process::exit(1);
    }
}

/// `println!` for the commands' standard output, quiet on a broken pipe ([`write`]).
#[macro_export]
macro_rules! say {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
