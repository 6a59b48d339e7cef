# Marquee: `make run` starts the whole platform locally; `make test` runs every test. Both do their own set-up.
SHELL := /bin/bash
GO    ?= go
BUF   := $(GO) run github.com/bufbuild/buf/cmd/buf@v1.75.0
ARGS  ?=

.PHONY: fuzz-smoke
.PHONY: run test generate check-generate check-size bench build vet deps tools web web-test browser

STRIPE_MOCK_VERSION := v0.203.0
# keep equal to s3server.Version (internal/s3server), which tests install when bin/versitygw is missing
VERSITYGW_VERSION   := v1.8.0

## run: start the platform (private PostgreSQL, NATS and S3 under ./.marquee, demo data) on 127.0.0.1:8080
run: deps tools web
	$(GO) build -o bin/marquee ./cmd/marquee
	./bin/marquee dev $(ARGS)

## test: generation check, vet, and every test with the race detector against real PostgreSQL
test: deps tools browser check-size check-generate web web-test vet fuzz-smoke
	$(GO) test -race -count=1 -timeout 20m ./...

## bench: load generator (with pgbench baseline on the same database) and Go benchmarks
bench: deps tools browser web
	$(GO) build -o bin/marquee ./cmd/marquee
	./bin/marquee loadgen $(ARGS)
	$(GO) test -run '^$$' -bench . -benchmem ./...

## generate: rebuild protovalidate's validate.proto and regenerate api/ from proto/
generate: web/node_modules/.package-lock.json
	$(GO) run ./internal/tools/validateproto third_party/protovalidate
	$(BUF) lint
	$(BUF) generate

## check-generate: fail if `make generate` changes anything
check-generate: generate
	@if [ -n "$$(git status --porcelain -- api third_party proto)" ]; then \
		git status --porcelain -- api third_party proto; \
		echo "generated code is out of date: run 'make generate' and commit the result"; exit 1; fi

vet:
	$(GO) vet ./...

## check-size: fail if any tracked file is over 5 MB (build outputs belong in bin/, never in git)
check-size:
	@big=$$(git ls-files -z | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$$1 > 5*1024*1024 {print}'); \
	if [ -n "$$big" ]; then echo "tracked files over 5 MB:"; echo "$$big"; exit 1; fi

build: web
	$(GO) build -o bin/marquee ./cmd/marquee

## web: the browser app, bundled by esbuild into web/dist (embedded by the Go build) from the committed lockfile
web: web/node_modules/.package-lock.json
	cd web && node build.mjs

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

## web-test: type-check the app and run its unit tests (seat-map layout, countdown, cards, calendar)
web-test: web/node_modules/.package-lock.json
	cd web && npx tsc --noEmit -p . && npm test --silent

## browser: Debian's chromium for the browser tests, installed with apt-get when missing
browser:
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then exit 0; fi; \
	echo "chromium not found; installing it with apt-get for the browser tests"; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	if ! command -v apt-get >/dev/null; then echo "no apt-get here: install Chromium and put it on PATH"; exit 1; fi; \
	$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends chromium

## tools: Go programs the tests run, pinned, installed into ./bin
tools: bin/stripe-mock bin/versitygw

bin/stripe-mock:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

bin/versitygw:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

## deps: PostgreSQL server binaries (initdb, pg_ctl, pgbench), installed with apt-get on Debian when missing
deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then exit 0; fi; \
	echo "PostgreSQL server binaries not found; installing them with apt-get"; \
	SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	if ! command -v apt-get >/dev/null; then \
		echo "no apt-get here: install PostgreSQL 15 server binaries (initdb, pg_ctl, pgbench) or set DATABASE_URL"; exit 1; fi; \
	$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends postgresql postgresql-contrib

## fuzz-smoke: each fuzzer for a few seconds (their seeds also run as ordinary tests)
fuzz-smoke:
	$(GO) test -run '^$$' -fuzz '^FuzzValidateLayout$$' -fuzztime 3s ./internal/catalog
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeCursor$$' -fuzztime 3s ./internal/catalog
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeToken$$' -fuzztime 3s ./internal/search
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 3s ./internal/notify/ticket
	$(GO) test -run '^$$' -fuzz '^FuzzParseWebhook$$' -fuzztime 3s ./internal/payment
	$(GO) test -run '^$$' -fuzz '^FuzzRoutingField$$' -fuzztime 3s ./internal/edge
