use clap::Parser;
use rapport::cli::{self, Cli, Failure};

fn main() {
    // `rapport plan | head` should end quietly like any Unix tool, not panic on EPIPE.
    // SAFETY: called first thing, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    rapport::telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    if let Err(failure) = runtime.block_on(cli::run(cli)) {
        let (Failure::User(e) | Failure::Runtime(e)) = &failure;
        eprintln!("error: {e:#}");
        std::process::exit(failure.exit_code());
    }
}
