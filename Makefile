# Noctis — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: help run test tools console screenshots fmt lint fuzz api-contract bench package infra-check infra-test diagram

## help: list these targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed -e 's/^## /  /'

## run: start Noctis on this machine: receiver + API, embedded backend, data in ./var/noctis
run:
	scripts/run-local

## test: install what the tests need, then format check, clippy, every test (both backends),
## the API contract (schemathesis), a bounded fuzz run, and the Terraform checks
test: tools console lint
	$(CARGO) build --workspace --bins --locked
	@# cargo lambda watch (in the API suite) runs `cargo run` for noctis-api alone,
	@# whose features differ from the workspace build: build that once up front.
	$(CARGO) build -p noctis-api --locked
	localstack/emulator run -- $(CARGO) test --workspace --locked
	scripts/api-contract 25
	scripts/fuzz 45
	@# Terraform: fmt + validate, then apply envs/localstack to a fresh emulator, run the
	@# deployed-stack suite on what it created, destroy. Skipped (loudly) without terraform
	@# or a provider mirror, since nothing may be downloaded.
	@if scripts/infra available; then \
		$(MAKE) --no-print-directory infra-test; \
	else \
		echo "SKIPPED: Terraform checks (no terraform or AWS provider mirror; see README 'Deploy to AWS')"; \
	fi

## tools: the test venvs (moto server, pydicom, pynetdicom, dicomweb-client; schemathesis; checkov; Playwright),
## DCMTK, HAProxy, Chromium, Orthanc with its DICOMweb plugin, cargo-fuzz
tools:
	scripts/install-test-tools all

## console: build the web console (npm ci from the lockfile, type check, bundle) into api-lambda/web/dist
console:
	scripts/build-console

## screenshots: the README's pictures of the console, from the browser suite, into docs/console/
screenshots: tools console
	$(CARGO) build --workspace --bins --locked
	scripts/screenshots

## fmt: format the workspace
fmt:
	$(CARGO) fmt --all

## lint: rustfmt check and clippy with warnings as errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## fuzz: every parser of peer bytes under cargo-fuzz, 10 minutes each (make test runs 45 s each)
fuzz:
	scripts/fuzz 600

## api-contract: the OpenAPI document validated, then schemathesis --checks all against noctis-api
api-contract:
	$(CARGO) build -p noctis-api --locked
	scripts/api-contract 100

## package: the API and its console as a Lambda zip for provided.al2023 (target/lambda/noctis-api/bootstrap.zip)
package: tools
	scripts/package-lambda

## infra-check: terraform fmt -check and validate of every root and module, offline, then checkov
infra-check:
	scripts/infra check

## infra-test: infra-check, then apply envs/localstack to the emulator, run the deployed-stack suite, destroy
infra-test: infra-check package
	$(CARGO) build --workspace --bins --locked
	localstack/emulator run -- scripts/infra emulator-test

## diagram: render docs/architecture.svg from docs/architecture.dot (Graphviz)
diagram:
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg

## bench: storescu → storescp vs storescu → noctis-receiver (embedded), C-FIND latency over
## 10,000 studies and C-GET throughput beside Orthanc, DICOMweb (STOW-RS, WADO-RS, a 1 GiB
## instance) beside Orthanc's plugin, and the cloud receive path on the
## emulator (one study vs many, growth to 20,000 instances), and load from our own generator
## (200 associations, 1 vs 3 receivers behind HAProxy, AWS vs bare PUT), and the data lifecycle
## (move and delete a study, rebuild 10,000 objects' index, export/import a registry);
## prints figures, never fails on them
bench: tools console
	$(CARGO) build --release --workspace --bins --locked
	$(CARGO) bench -p noctis-e2e --bench receive
	$(CARGO) bench -p noctis-e2e --bench query
	$(CARGO) bench -p noctis-e2e --bench dicomweb
	localstack/emulator run -- $(CARGO) bench -p noctis-e2e --bench cloud_index
	localstack/emulator run -- $(CARGO) bench -p noctis-e2e --bench load
	localstack/emulator run -- $(CARGO) bench -p noctis-e2e --bench lifecycle
