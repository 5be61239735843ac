# twinmetrics — build, run and test.
# Needs only Go (with cgo: gcc), node and npm; browser tests also need
# Debian's /usr/bin/chromium, which .ci/run installs.

GO        ?= go
NPM       ?= npm
BIN       := bin/twinmetrics
# npm ci runs again when package-lock.json (or package.json) is newer than
# these. `make run` needs only the runtime dependency (ECharts: 3 packages,
# about 60 MB); the test tools (Lighthouse, Redocly, vnu, axe,
# openapi-typescript, TypeScript…) install with `make test`.
NPM_RUNTIME := node_modules/.npm-runtime.stamp
NPM_STAMP   := node_modules/.npm-ci.stamp
ECHARTS   := dashboard/assets/vendor/echarts.min.js

export CGO_ENABLED := 1

.DEFAULT_GOAL := build
.DELETE_ON_ERROR:
.PHONY: assets build run test test-pg lint bench bench-scale screenshots clean

# The Go binary embeds dashboard/assets/ (go:embed), so ECharts must be
# copied there before anything compiles the dashboard package.
assets: $(ECHARTS)

# A full install already holds the runtime dependency.
$(NPM_RUNTIME): package.json package-lock.json
	if [ -f $(NPM_STAMP) ] && [ $(NPM_STAMP) -nt package.json ] && [ $(NPM_STAMP) -nt package-lock.json ]; then :; \
	else $(NPM) ci --omit=dev --ignore-scripts --no-audit --no-fund; fi
	touch $@

$(NPM_STAMP): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@ $(NPM_RUNTIME)

# A build of the pinned echarts package with only the charts and
# components the dashboard uses (scripts/echarts-entry.js), bundled by the
# pinned esbuild (a runtime dependency, so `make run` has it): the same
# files give the same bytes.
$(ECHARTS): $(NPM_RUNTIME) scripts/echarts-entry.js
	mkdir -p $(@D)
	# The version is read when the recipe runs: on a fresh clone the
	# package is only there after the install above.
	v=$$(node -p "require('./node_modules/echarts/package.json').version") && \
	node_modules/.bin/esbuild scripts/echarts-entry.js --bundle --minify --format=iife --global-name=echarts \
		--target=es2017 --legal-comments=none --log-level=warning \
		"--banner:js=/*! Apache ECharts $$v (echarts/core with line, bar, scatter, radar and the components the pages use), Apache License 2.0, https://www.apache.org/licenses/LICENSE-2.0 */" --outfile=$@

build: assets
	$(GO) build -o $(BIN) ./cmd/twinmetrics

# The binary creates, migrates and seeds its database; TWINMETRICS_ADDR
# (default 127.0.0.1:8080) and TWINMETRICS_DB (default var/twinmetrics.db)
# pass through from the environment.
run: build
	mkdir -p var
	./$(BIN) serve

# Every test, with the race detector, in three steps that share the two
# cores fairly. The browser tests (every test named …Browser…, all in
# dashboard/) give Chromium 90 s each: they run after the other tests,
# which beside them on two cores starved it. Lighthouse times the pair
# page, so it runs last, alone and without -race. The timeouts are well
# above Go's default ten minutes, so a slow run fails as a timeout only
# when something hangs.
BROWSER    := Browser
LIGHTHOUSE := ^TestLighthousePairPage$$
test: $(NPM_STAMP) assets
	$(GO) test -race -count=1 -timeout 30m -skip '$(BROWSER)|$(LIGHTHOUSE)' ./...
	$(GO) test -race -count=1 -timeout 30m -run '$(BROWSER)' ./dashboard/
	$(GO) test -count=1 -timeout 15m -run '$(LIGHTHOUSE)' ./dashboard/

# The store, upload and handler tests again on PostgreSQL, each test on
# its own database cloned from a seeded template, and the command's
# PostgreSQL operations (copy-db, backup, restore). TWINMETRICS_TEST_PG is
# a server URL whose user may create databases; unset, the local server
# (127.0.0.1:5432, trust auth) when it answers, else a throwaway cluster
# from Debian's packages (scripts/with-postgres.sh). A server that does
# not answer fails the run. The browser tests read the same pages and
# run on SQLite only.
PG_SKIP := Browser|Lighthouse|Screenshot|InBrowser
test-pg: assets
	TWINMETRICS_REQUIRE_PG=1 scripts/with-postgres.sh sh -c '\
		$(GO) test -race -count=1 -timeout 40m -skip "$(PG_SKIP)" ./metrics/ ./ingest/ ./dashboard/ ./internal/... && \
		$(GO) test -race -count=1 -timeout 20m -run Postgres ./cmd/twinmetrics/'

# staticcheck comes through the Go module proxy, at a pinned version.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: assets
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@out=$$(find . -name '*.go' -not -path './node_modules/*' -not -path './.git/*' -print0 \
		| xargs -0 -r gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The Go benchmarks, then a bounded load run against a started server on
# 127.0.0.1, each endpoint beside a trivial handler of the same server.
bench: assets
	GO=$(GO) scripts/bench.sh

# The application at a national deployment's size: synthetic databases of
# about 110k and 1.1M values (BENCH_SCALE_CITIES=115,1150,5600 adds 5.4M),
# built once through the upload pipeline and kept in var/bench-scale/,
# then timed page by page against a started server on 127.0.0.1.
# BENCH_SCALE_PG=postgres://… (a user that may create databases) measures
# each size on PostgreSQL too, side by side with SQLite in the same run.
BENCH_SCALE_CITIES ?= 115,1150
BENCH_SCALE_PG ?=
bench-scale: build
	$(GO) run ./cmd/benchscale -bin $(BIN) -dir var/bench-scale -cities $(BENCH_SCALE_CITIES) $(if $(BENCH_SCALE_PG),-pg '$(BENCH_SCALE_PG)')

# The README's pictures, taken by a browser test from the seeded app (a
# plain `make test` skips that test).
screenshots: $(NPM_STAMP) assets
	TWINMETRICS_SCREENSHOTS=1 $(GO) test -count=1 -run '^TestBrowserScreenshots$$' ./dashboard/

# Leaves var/ alone: it holds the local database.
clean:
	rm -rf bin dashboard/assets/vendor node_modules
