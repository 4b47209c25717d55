//! Native UserSig sign-and-encode time, for `make bench` (`cargo bench --bench sign`).

use std::hint::black_box;
use std::time::Instant;

use tim_tags::{SecretKey, Signer};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const CALLS: u32 = 200_000;

fn main() {
    let sign = |i: u32| {
        let signer = Signer::new(1_400_000_000, SecretKey::new(KEY));
        signer.sign("administrator", 1_700_000_000 + u64::from(i), 86_400, None)
    };
    for i in 0..CALLS / 10 {
        black_box(sign(i));
    }
    let started = Instant::now();
    for i in 0..CALLS {
        black_box(sign(i));
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS);
    println!("native sign-and-encode: {micros:.3} us per call");
}
