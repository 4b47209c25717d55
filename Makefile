# Every target installs what it needs first (idempotently), so these work on a fresh machine.
SHELL := bash
# A target whose recipe fails is removed, so that the next make runs that recipe again whole.
.DELETE_ON_ERROR:
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

WASM := wasm32-unknown-unknown
# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/^version = "\(.*\)"$$/\1/p;}' Cargo.lock)
WASM_PACK_VERSION := 0.15.1
WORKER_BUILD_VERSION := 0.8.7
# The browser suite's page is served from the origin the test Worker allows (tests/worker/serve.mjs).
# The runner gives a headless run 20 s by default; the suite waits on timeouts and slow calls.
WASM_TEST := CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_ADDRESS=127.0.0.1:8789 WASM_BINDGEN_TEST_TIMEOUT=90 \
	cargo test --target $(WASM) --features browser,edge

DEV_PORT := 8787
EMULATOR_PORT := 9000
# The generation of the tag API the emulated app has: all_member_push or timpush.
TIM_TAG_API := all_member_push
EMULATOR := target/debug/tim-emulator
# Runs a command with the emulator and the Worker on the fixed ports the wasm suite expects.
SERVE := TIM_EMULATOR_BIN=$(CURDIR)/$(EMULATOR) node tests/worker/serve.mjs -- env
WORKER_SOURCES := $(shell find src -type f) $(wildcard bench/*.rs) Cargo.toml Cargo.lock docs/npm-readme.md
OFFLINE := WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

FUZZ_TARGETS := request_body usersig_verify access_token
FUZZ_SECONDS := 600
CARGO_FUZZ_VERSION := 0.13.2
FUZZ := cargo +nightly fuzz run --fuzz-dir tests/fuzz

.PHONY: test dev setup install tools wasm-target wasm-bindgen-cli wasm-pack worker-build build \
	browser worker pkg pkg-manifest emulator lint test-native test-wasm test-worker test-e2e fuzz fuzz-tools \
	test-fuzz bench

# The stages of `make test`, in order: each runs as a make of its own and its time is printed at
# the end (of a failed run too), so that a slow run shows where its time went.
TEST_STAGES := install lint build test-native test-wasm test-worker test-e2e test-fuzz

## test: every check and test suite, then each stage's time
test:
	@timings=""; \
	for stage in $(TEST_STAGES); do \
		started=$$(date +%s); \
		status=0; $(MAKE) --no-print-directory $$stage || status=$$?; \
		timings+=$$(printf '  %-12s %5d s\\n' $$stage $$(( $$(date +%s) - started ))); \
		if [ $$status -ne 0 ]; then \
			printf '\nmake test: the %s stage failed; the time of each stage run\n%b' $$stage "$$timings" >&2; \
			exit $$status; \
		fi; \
	done; \
	printf '\nmake test: the time of each stage\n%b' "$$timings"

## build: the Worker, the npm package and the emulator
build: worker pkg emulator

## dev: the panel and the Worker on http://127.0.0.1:$(DEV_PORT), against the emulator on $(EMULATOR_PORT) (TIM_TAG_API=timpush for the current generation); Ctrl-C stops both
dev: setup worker pkg emulator .dev.vars
	@busy() { (exec 3<>/dev/tcp/127.0.0.1/$$1) 2>/dev/null; }; \
	free_from() { local port=$$1; while busy $$port || [ $$port = "$${2:-}" ]; do port=$$((port + 1)); done; echo $$port; }; \
	for port in $(DEV_PORT) $(EMULATOR_PORT); do \
		if busy $$port; then \
			dev_port=$$(free_from $(DEV_PORT)); emulator_port=$$(free_from $(EMULATOR_PORT) $$dev_port); \
			echo "make dev: port $$port on 127.0.0.1 is already in use. Stop what holds it, or use free ports: make dev DEV_PORT=$$dev_port EMULATOR_PORT=$$emulator_port" >&2; \
			exit 1; \
		fi; \
	done; \
	if grep -q '^TIM_API_ORIGIN=' .dev.vars; then \
		sed -i '/^TIM_API_ORIGIN=/d' .dev.vars; \
		echo "make dev: dropped TIM_API_ORIGIN from .dev.vars: EMULATOR_PORT decides it now"; \
	fi; \
	grep -q '^PANEL_WRITE_TOKENS=' .dev.vars || { $(WRITE_TOKEN_LINE) >> .dev.vars; echo "make dev: added a write token to .dev.vars"; }; \
	set +e -a; . ./.dev.vars; set +a; \
	$(EMULATOR) --listen 127.0.0.1:$(EMULATOR_PORT) --api $(TIM_TAG_API) & emulator=$$!; \
	stop() { kill $$emulator $${wrangler:-} 2>/dev/null; wait; }; \
	trap 'stop; echo stopped; exit 0' INT TERM; trap stop EXIT; \
	until busy $(EMULATOR_PORT); do \
		kill -0 $$emulator 2>/dev/null || { echo "make dev: the emulator did not start" >&2; exit 1; }; sleep 0.2; \
	done; \
	$(OFFLINE) wrangler d1 migrations apply HISTORY --local </dev/null >/dev/null \
		|| { echo "make dev: the history's migrations (migrations/) could not be applied" >&2; exit 1; }; \
	$(OFFLINE) wrangler dev --ip 127.0.0.1 --port $(DEV_PORT) --show-interactive-dev-session=false \
		--var TIM_API_ORIGIN:http://127.0.0.1:$(EMULATOR_PORT) --var TIM_TAG_API:$(TIM_TAG_API) & wrangler=$$!; \
	until health=$$(curl -s -w ' %{http_code}' http://127.0.0.1:$(DEV_PORT)/healthz); [ "$${health##* }" = 200 ]; do \
		if [ "$${health##* }" = 503 ]; then \
			echo "make dev: the Worker refuses its settings, so every call would fail: $$(sed -n 's/.*"ErrorInfo":"\([^"]*\)".*/\1/p' <<< "$${health% *}"). Fix .dev.vars (or delete it: make dev writes a new one)." >&2; \
			exit 1; \
		fi; \
		kill -0 $$wrangler 2>/dev/null || { echo "make dev: wrangler dev did not start" >&2; exit 1; }; sleep 0.5; \
	done; \
	reader=$${PANEL_TOKENS%%,*}; writer=$${PANEL_WRITE_TOKENS%%,*}; \
	printf '\n  panel        http://127.0.0.1:$(DEV_PORT)/\n  read token   %s\n  write token  %s\n  tag API      $(TIM_TAG_API)\n  emulator     http://127.0.0.1:$(EMULATOR_PORT)\n  Ctrl-C stops the Worker and the emulator\n\n' \
		"$${reader#*:}" "$${writer#*:}"; \
	wait

# Local secrets for `make dev`: a random key shared with the emulator, a random token that may
# read and one that may also write. Where the emulator listens and which generation it has are
# not kept here: `make dev` passes them, so EMULATOR_PORT and TIM_TAG_API hold.
RANDOM_HEX = od -An -tx1 -N$(1) /dev/urandom | tr -d ' \n'
WRITE_TOKEN_LINE = printf 'PANEL_WRITE_TOKENS=dev-writer:%s\n' "$$($(call RANDOM_HEX,16))"
.dev.vars:
	@printf 'TIM_SECRET_KEY=%s\nPANEL_TOKENS=dev-reader:%s\n' "$$($(call RANDOM_HEX,32))" "$$($(call RANDOM_HEX,16))" > $@
	@$(WRITE_TOKEN_LINE) >> $@
	@echo "wrote $@ (git-ignored)"

## worker: the Worker, built into build/
worker: build/index.js

# The Worker is built for speed: at opt-level z it would be 12 KB (9%) smaller gzipped, but its
# runtime would spend 12% more CPU a get and 7.5% more an add (BENCHMARKS.md); the browser
# package stays at z. worker-build keeps
# the wasm name section, which nothing needs at run time: wasm-opt strips it.
WORKER_BUILD = CARGO_PROFILE_RELEASE_OPT_LEVEL=3 \
	WASM_BINDGEN_BIN=$$(command -v wasm-bindgen) WASM_OPT_BIN=$(CURDIR)/node_modules/.bin/wasm-opt \
	ESBUILD_BIN=$(CURDIR)/node_modules/.bin/esbuild \
	worker-build --release --out-dir $(1) --no-default-features --features $(2) \
	&& wasm-opt $(1)/index_bg.wasm -O3 --strip-debug -o $(1)/index_bg.wasm

build/index.js: $(WORKER_SOURCES) | tools node_modules/.installed
	$(call WORKER_BUILD,build,worker)

## pkg: the npm package in pkg/ (wasm-pack), and the copy the panel loads from www/pkg/
pkg: www/pkg/tim_tags.js

# wasm-pack writes no `exports` map: one is added, so that bundlers and Node resolve the
# package's entry, its types and its wasm file by name. The license files it copies are added
# to `files`, so that the tarball carries them. Its `sideEffects` names a snippets
# folder the package does not have: only entries naming files it has are kept. `repository`
# (and `homepage`, its README) is the checkout's `origin` remote when that is a web address
# (credentials left out); the description is the package's, not the whole project's. So a
# package built from a clone of the published repository says where its source is.
PKG_DESCRIPTION := "Look up and change the user tags of a Tencent Cloud Chat app from a web admin panel, in the browser, through the tim-tags edge Worker, which holds the secret key."
PKG_EXPORTS := {".":{"types":"./tim_tags.d.ts","default":"./tim_tags.js"},"./tim_tags_bg.wasm":"./tim_tags_bg.wasm","./package.json":"./package.json"}
ADD_PKG_EXPORTS := const fs = require("fs"), file = "pkg/package.json", manifest = JSON.parse(fs.readFileSync(file)); \
	manifest.exports = $(PKG_EXPORTS); \
	manifest.sideEffects = (manifest.sideEffects || []).filter((entry) => fs.existsSync("pkg/" + entry.replace(/^\.\//, "").replace(/\/\*$$/, ""))); \
	if (!manifest.sideEffects.length) delete manifest.sideEffects; \
	for (const license of fs.readdirSync("pkg").filter((name) => /^LICEN[CS]E/.test(name))) if (!(manifest.files ||= []).includes(license)) manifest.files.push(license); \
	let origin = ""; try { origin = require("child_process").execSync("git remote get-url origin", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim(); } catch {} \
	const web = origin.replace(/\/\/[^@/]*@/, "//"); \
	if (/^https:\/\//.test(web)) Object.assign(manifest, { repository: { type: "git", url: "git+" + web }, homepage: web.replace(/\.git$$/, "") + "\#readme" }); \
	manifest.description = $(PKG_DESCRIPTION); \
	fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n")
# The declarations wasm-pack writes list the wasm's raw exports (its allocator, closures and
# tables) as what init() resolves to, as if they were API: that type is made opaque, and the
# default export is declared under the name the docs use.
HIDE_WASM_INTERNALS := const fs = require("fs"), file = "pkg/tim_tags.d.ts", text = fs.readFileSync(file, "utf8"); \
	const output = /export interface InitOutput \{[^}]*\}/, init = /export default function __wbg_init ?\(/; \
	if (!output.test(text) || !init.test(text)) throw new Error(file + ": InitOutput or __wbg_init is not where it was"); \
	fs.writeFileSync(file, text.replace(output, "/** What init() and initSync() resolve to once the wasm is loaded: nothing in it is API. */\nexport type InitOutput = object;").replace(init, "export default function init("))
pkg/tim_tags.js: $(WORKER_SOURCES) | tools node_modules/.installed
	wasm-pack build --release --target web --out-dir pkg --out-name tim_tags -- --features browser
	node -e '$(ADD_PKG_EXPORTS)'
	node -e '$(HIDE_WASM_INTERNALS)'
	cp docs/npm-readme.md pkg/README.md

# The manifest step alone, on the pkg/package.json there is.
pkg-manifest:
	@node -e '$(ADD_PKG_EXPORTS)'

www/pkg/tim_tags.js: pkg/tim_tags.js
	mkdir -p www/pkg && cp pkg/tim_tags.js pkg/tim_tags_bg.wasm www/pkg/

emulator:
	cargo build --features emulator --bin tim-emulator

## setup: the wasm target, pinned cargo tools, npm devDependencies, Chromium
setup: tools node_modules/.installed browser

# make test's first stage: the setup and the fuzzers' tools side by side, the downloads (npm,
# apt, rustup) first so that they overlap the cargo installs, which take their jobs from this
# make's four job slots (the `+` lines), so that two cores stay busy through each one's tail.
install:
	+@$(MAKE) --no-print-directory -j4 --output-sync=target node_modules/.installed browser fuzz-tools tools

tools: wasm-target wasm-bindgen-cli wasm-pack worker-build

# The cargo tools are built unoptimised: wasm-bindgen-cli builds in 48 s instead of 106 s at
# opt-level 1 (2 min 40 s at the default 3), and then binds the 7.8 MB test wasm in 1.4 s
# instead of 0.4 s and a release wasm in 0.26 s instead of 0.06: about 3 s over a make test.
CARGO_INSTALL := CARGO_PROFILE_RELEASE_OPT_LEVEL=0 cargo install

wasm-target:
	@rustup target list --installed | grep -qx $(WASM) || rustup target add $(WASM)

wasm-bindgen-cli:
	+@wasm-bindgen --version 2>/dev/null | grep -qw "$(WASM_BINDGEN_VERSION)" \
		|| $(CARGO_INSTALL) wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force

wasm-pack:
	+@wasm-pack --version 2>/dev/null | grep -qw "$(WASM_PACK_VERSION)" \
		|| $(CARGO_INSTALL) wasm-pack --version $(WASM_PACK_VERSION) --locked --force

worker-build:
	+@worker-build --version 2>/dev/null | grep -qw "$(WORKER_BUILD_VERSION)" \
		|| $(CARGO_INSTALL) worker-build --version $(WORKER_BUILD_VERSION) --locked --force

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
		|| { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

lint:
	cargo fmt --check
	cargo clippy --all-targets --features emulator,edge,client -- -D warnings
	cargo clippy --target $(WASM) --all-targets --features worker,browser -- -D warnings
	cargo clippy --target $(WASM) --features bench,bench-floor -- -D warnings
	cargo clippy --target $(WASM) --features bench-quiet -- -D warnings
	# Doc links that no longer resolve, after a move or a rename.
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features emulator,edge,client
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --target $(WASM) --features worker,browser

test-native:
	cargo test --features emulator,edge,client

test-wasm: worker emulator
	$(WASM_TEST) --no-run --test node --test browser
	$(SERVE) $(WASM_TEST) --test node
	$(SERVE) $(WASM_TEST) --test browser

test-worker: worker emulator
	TIM_EMULATOR_BIN=$(CURDIR)/$(EMULATOR) node --test 'tests/worker/*.test.mjs'

test-e2e: worker pkg emulator browser
	TIM_EMULATOR_BIN=$(CURDIR)/$(EMULATOR) node --test --test-concurrency=1 'tests/e2e/*.test.mjs'

## fuzz: each fuzzer for FUZZ_SECONDS (default 600); what they find new joins tests/fuzz/corpus
# An input that takes longer than this fails the run: checks that grow faster than their input
# are found as failures.
FUZZ_OPTIONS := -timeout=2 -rss_limit_mb=4096
FUZZ_SEEDS := target/fuzz-seeds

fuzz: fuzz-tools
	for target in $(FUZZ_TARGETS); do \
		$(FUZZ) $$target tests/fuzz/corpus/$$target -- $(FUZZ_OPTIONS) -max_total_time=$(FUZZ_SECONDS); \
	done

# A short run of each fuzzer from the kept corpus; new inputs go to a scratch folder. The
# request-body fuzzer also starts from the hardest bodies of tests/worker/bodies.mjs, and makes
# inputs up to the 1 MiB a body may be (none of them kept).
body_fuzzer = $(filter request_body,$(1))
test-fuzz: fuzz-tools $(FUZZ_SEEDS)
	$(foreach target,$(FUZZ_TARGETS),$(FUZZ) $(target) $$(mktemp -d) tests/fuzz/corpus/$(target) \
		$(if $(call body_fuzzer,$(target)),$(FUZZ_SEEDS)) -- $(FUZZ_OPTIONS) \
		$(if $(call body_fuzzer,$(target)),-max_len=1048576) -max_total_time=15 &&) true

$(FUZZ_SEEDS): tests/worker/bodies.mjs | node_modules/.installed
	rm -rf $@ && node tests/worker/bodies.mjs $@

# After the wasm target: two rustup installs at once would share its download folders.
fuzz-tools: | wasm-target
	@rustup toolchain list | grep -q '^nightly' \
		|| rustup toolchain install nightly --profile minimal --no-self-update
	+@cargo fuzz --version 2>/dev/null | grep -qw "$(CARGO_FUZZ_VERSION)" \
		|| $(CARGO_INSTALL) cargo-fuzz --version $(CARGO_FUZZ_VERSION) --locked --force

## bench: the benchmark table (bench/run.mjs), every figure beside its baseline
bench: setup worker pkg target/bench-floor/index.js target/bench-quiet/index.js target/bench-signer/tim_tags.js \
		target/pypi/TLSSigAPIv2.py
	cargo build --release --features emulator --bin tim-emulator
	TIM_EMULATOR_BIN=$(CURDIR)/target/release/tim-emulator node bench/run.mjs

# The least a Rust Worker can do for this endpoint (bench/floor.rs), measured beside ours.
target/bench-floor/index.js: $(WORKER_SOURCES) | tools node_modules/.installed
	$(call WORKER_BUILD,target/bench-floor,bench-floor)

# Our Worker without its log lines, to measure their share (feature bench-quiet).
target/bench-quiet/index.js: $(WORKER_SOURCES) | tools node_modules/.installed
	$(call WORKER_BUILD,target/bench-quiet,bench-quiet)

target/bench-signer/tim_tags.js: $(WORKER_SOURCES) | tools
	wasm-pack build --release --target nodejs --out-dir target/bench-signer --out-name tim_tags \
		-- --features bench

target/pypi/TLSSigAPIv2.py:
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
		--target target/pypi tls-sig-api-v2==1.1
