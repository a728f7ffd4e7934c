//! The `berth` command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
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
    Serve(Box<ServeArgs>),
    /// Administer an installation from its host (works while the server runs).
    Admin(AdminArgs),
    /// Print the version.
    Version,
}

#[derive(Args)]
struct AdminArgs {
    /// The server's data folder.
    #[arg(
        long,
        env = "BERTH_DATA_DIR",
        default_value = "./berth-data",
        global = true
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Give a user a new random password (printed once), to be changed at next login; ends
    /// their sessions and re-enables the account.
    ResetPassword {
        /// The user's name.
        username: String,
    },
    /// Create an API key for a user and print it (shown once).
    ApiKeyCreate {
        /// The owner's name.
        username: String,
        /// A name for the key.
        #[arg(long, default_value = "cli")]
        name: String,
        /// read, write or admin.
        #[arg(long, default_value = "read")]
        scope: String,
    },
}

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .enable_all()
        .build()
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Version => {
            println!("berth {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Serve(args) => {
            let config = Config::load(*args)?;
            init_logging(&config);
            runtime()?.block_on(berth::run(config))
        }
        Command::Admin(admin) => runtime()?.block_on(async move {
            let store = berth::store::Store::open(&admin.data_dir).await?;
            let result = match admin.command {
                AdminCommand::ResetPassword { username } => {
                    let password = berth::auth::service::reset_password(&store, &username).await?;
                    println!("new password for {username}: {password}");
                    println!("(it must be changed at the next login)");
                    Ok(())
                }
                AdminCommand::ApiKeyCreate {
                    username,
                    name,
                    scope,
                } => {
                    let key =
                        berth::auth::service::cli_api_key(&store, &username, &name, &scope).await?;
                    println!("{key}");
                    Ok(())
                }
            };
            store.close().await;
            result
        }),
    }
}
