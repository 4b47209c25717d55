//! `tim-emulator`: a local stand-in for the vendor's tag API. See `tim_tags::emulator`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use hyper::header::HeaderValue;
use tim_tags::api::named::Named;
use tim_tags::emulator::{
    CALLS_PER_SECOND, Config, DEMO_TAGS, Store, calls_json, parse_tags, serve,
};
use tim_tags::{SecretKey, TagApi};

/// Emulates the vendor's tag API, both generations, checking UserSigs for real.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; port 0 picks a free one. Loopback only, unless --public.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Allow a --listen address other than loopback: its control endpoints, which inject
    /// faults and list the accounts looked up, are then open to the network.
    #[arg(long)]
    public: bool,
    /// The one web origin whose pages may call the emulator, control endpoints included
    /// (a browser test page's); no other origin gets CORS.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Option<String>,
    /// The emulated app's SDKAppID.
    #[arg(long, env = "TIM_SDKAPPID", default_value_t = 1_400_000_000)]
    sdkappid: u64,
    /// The emulated app's secret key.
    #[arg(
        long,
        env = "TIM_SECRET_KEY",
        hide_env_values = true,
        required_unless_present = "print_calls"
    )]
    key: Option<String>,
    /// The emulated app's administrator account.
    #[arg(long, env = "TIM_ADMIN", default_value = "administrator")]
    admin: String,
    /// A JSON file of tags by account; the demo data set when absent.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// More accounts that exist in the current generation (comma-separated), besides the seed's.
    #[arg(long, value_delimiter = ',', value_name = "ACCOUNTS")]
    known: Vec<String>,
    /// The one generation the app has switched on, all_member_push or timpush; calls of the
    /// other get an error code. Both are served when absent.
    #[arg(long, env = "TIM_TAG_API", value_parser = TagApi::named)]
    api: Option<TagApi>,
    /// Calls allowed at each path in any one second (each path has its own budget).
    #[arg(long, default_value_t = CALLS_PER_SECOND)]
    calls_per_second: usize,
    /// Print the tag API's calls as JSON, each generation's paths by operation name, and exit.
    #[arg(long)]
    print_calls: bool,
}

/// Why the emulator cannot start.
#[derive(Debug, thiserror::Error)]
enum StartError {
    /// A --listen address other than loopback, without --public.
    #[error(
        "refusing to listen on {0}: its control endpoints would be open to the network; \
         listen on 127.0.0.1, or pass --public"
    )]
    OpenToNetwork(SocketAddr),
    /// An --allow-origin that is no header value.
    #[error("--allow-origin is not a valid origin")]
    BadOrigin,
    /// No secret key, to verify UserSigs with.
    #[error("--key or TIM_SECRET_KEY is required")]
    NoKey,
    /// A seed file that cannot be read.
    #[error("cannot read {path}: {error}")]
    UnreadableSeed { path: String, error: std::io::Error },
    /// A seed file that is not tags by account.
    #[error("bad seed: {0}")]
    BadSeed(String),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    if args.print_calls {
        println!("{}", calls_json());
        return ExitCode::SUCCESS;
    }
    let (listen, api) = (args.listen, args.api);
    let config = match config(args) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("tim-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let accounts = config.store.accounts();
    let generations = api.map_or("both tag APIs".into(), |api| format!("the {api} tag API"));
    let served = serve(config, listen, |address| {
        println!("tim-emulator listening on http://{address} ({accounts} accounts, {generations})");
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

/// The emulated app the arguments describe.
fn config(args: Args) -> Result<Config, StartError> {
    if !args.listen.ip().is_loopback() && !args.public {
        return Err(StartError::OpenToNetwork(args.listen));
    }
    let allow_origin = match args.allow_origin.as_deref().map(HeaderValue::from_str) {
        None => None,
        Some(Ok(origin)) => Some(origin),
        Some(Err(_)) => return Err(StartError::BadOrigin),
    };
    let key = args.key.ok_or(StartError::NoKey)?;
    let tags = seed(args.seed.as_deref())?;
    Ok(Config {
        sdkappid: args.sdkappid,
        key: SecretKey::new(key),
        admin: args.admin,
        store: Store::new(tags, args.known),
        api: args.api,
        calls_per_second: args.calls_per_second,
        allow_origin,
    })
}

/// The tags by account in a seed file, or in the demo data set when none is given.
fn seed(path: Option<&Path>) -> Result<HashMap<String, Vec<String>>, StartError> {
    let json = match path {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|error| StartError::UnreadableSeed {
                path: path.display().to_string(),
                error,
            })?
        }
        None => DEMO_TAGS.to_owned(),
    };
    parse_tags(&json).map_err(StartError::BadSeed)
}
