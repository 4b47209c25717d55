//! The emulator binary, natively: `cargo test --features emulator --test emulator`.
#![cfg(feature = "emulator")]

use std::collections::BTreeSet;
use std::process::Command;

use tim_tags::Call;

#[test]
fn print_calls_writes_the_eight_paths_by_generation_and_operation() {
    // No key: printing the table needs no app.
    let output = Command::new(env!("CARGO_BIN_EXE_tim-emulator"))
        .arg("--print-calls")
        .env_remove("TIM_SECRET_KEY")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let table: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for call in Call::all() {
        assert_eq!(
            table[call.api.name()][call.row().name],
            call.path(),
            "{call}"
        );
    }
    let generations = table.as_object().unwrap();
    let paths: BTreeSet<&str> = generations
        .values()
        .flat_map(|calls| calls.as_object().unwrap().values())
        .map(|path| path.as_str().unwrap())
        .collect();
    assert_eq!(generations.len(), 2);
    assert_eq!(paths.len(), 8, "{paths:?}");
    assert!(paths.contains("/v4/all_member_push/im_remove_all_tags"));
    assert!(paths.contains("/v4/timpush/clear_all_tags"));
}
