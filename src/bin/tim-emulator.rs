//! `tim-emulator`: a local stand-in for the vendor's get-tags API. See `tim_tags::emulator`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tim_tags::SecretKey;
use tim_tags::emulator::{CALLS_PER_SECOND, Config, DEMO_TAGS, parse_tags, serve};

/// Emulates the vendor's get-tags API, checking UserSigs for real.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// The emulated app's SDKAppID.
    #[arg(long, env = "TIM_SDKAPPID", default_value_t = 1_400_000_000)]
    sdkappid: u64,
    /// The emulated app's secret key.
    #[arg(long, env = "TIM_SECRET_KEY", hide_env_values = true)]
    key: String,
    /// The emulated app's administrator account.
    #[arg(long, env = "TIM_ADMIN", default_value = "administrator")]
    admin: String,
    /// A JSON file of tags by account; the demo data set when absent.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// Calls allowed in any one second.
    #[arg(long, default_value_t = CALLS_PER_SECOND)]
    calls_per_second: usize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        None => Ok(DEMO_TAGS.to_owned()),
    };
    let tags = match seed.and_then(|json| parse_tags(&json).map_err(|e| format!("bad seed: {e}"))) {
        Ok(tags) => tags,
        Err(message) => {
            eprintln!("tim-emulator: {message}");
            return ExitCode::FAILURE;
        }
    };
    let config = Config {
        sdkappid: args.sdkappid,
        key: SecretKey::new(args.key),
        admin: args.admin,
        tags,
        calls_per_second: args.calls_per_second,
    };
    let accounts = config.tags.len();
    let served = serve(config, args.listen, |address| {
        println!("tim-emulator listening on http://{address} ({accounts} accounts)");
    });
    let result = tokio::select! {
        result = served => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tim-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
