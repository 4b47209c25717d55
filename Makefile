# Every target installs what it needs first (idempotently), so these work on a fresh machine.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

WASM := wasm32-unknown-unknown
# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
WASM_PACK_VERSION := 0.15.1
WORKER_BUILD_VERSION := 0.8.7
WASM_TEST := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver cargo test --target $(WASM)

.PHONY: test setup tools browser lint test-native test-wasm

## test: every check and test suite
test: setup lint test-native test-wasm

## setup: the wasm target, pinned cargo tools, npm devDependencies, Chromium
setup: tools node_modules/.installed browser

tools:
	@rustup target list --installed | grep -qx $(WASM) || rustup target add $(WASM)
	@wasm-bindgen --version 2>/dev/null | grep -qw "$(WASM_BINDGEN_VERSION)" \
		|| cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force
	@wasm-pack --version 2>/dev/null | grep -qw "$(WASM_PACK_VERSION)" \
		|| cargo install wasm-pack --version $(WASM_PACK_VERSION) --locked --force
	@worker-build --version 2>/dev/null | grep -qw "$(WORKER_BUILD_VERSION)" \
		|| cargo install worker-build --version $(WORKER_BUILD_VERSION) --locked --force

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
		|| { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target $(WASM) --all-targets -- -D warnings

test-native:
	cargo test

test-wasm:
	$(WASM_TEST) --test node
	$(WASM_TEST) --test browser
