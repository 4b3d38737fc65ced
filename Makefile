# Noctis — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test tools fmt lint unit bench

## run: start Noctis on this machine: receiver + API, embedded backend, data in ./var/noctis
run:
	scripts/run-local

## test: install what the tests need, then format check, clippy and every test (both backends)
test: tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) build --workspace --bins --locked
	@# cargo lambda watch (in the API suite) runs `cargo run` for noctis-api alone,
	@# whose features differ from the workspace build: build that once up front.
	$(CARGO) build -p noctis-api --locked
	localstack/emulator run -- $(CARGO) test --workspace --locked

## tools: the test venv (moto server, pydicom, pynetdicom) and DCMTK
tools:
	scripts/install-test-tools all

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## bench: storescu → storescp vs storescu → noctis-receiver (embedded); prints figures, never fails on them
bench: tools
	$(CARGO) build --release --workspace --bins --locked
	$(CARGO) bench -p noctis-e2e --bench receive
