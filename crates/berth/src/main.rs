//! The `berth` command line.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use berth::config::{Config, LogFormat, ServeArgs};

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "Run, schedule and watch containers on every Docker host you own"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (API, web UI, background loops).
    Serve(ServeArgs),
    /// Print the version.
    Version,
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("berth {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Serve(args) => {
            let config = Config::load(args)?;
            init_logging(&config);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
                .enable_all()
                .build()?;
            runtime.block_on(berth::run(config))
        }
    }
}
