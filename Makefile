# twinmetrics — build, run and test.
# Needs only Go (with cgo: gcc), node and npm; browser tests also need
# Debian's /usr/bin/chromium, which .ci/run installs.

GO        ?= go
NPM       ?= npm
BIN       := bin/twinmetrics
# npm ci runs again when package-lock.json (or package.json) is newer than this.
NPM_STAMP := node_modules/.npm-ci.stamp
ECHARTS   := dashboard/assets/vendor/echarts.min.js

export CGO_ENABLED := 1

.DEFAULT_GOAL := build
.DELETE_ON_ERROR:
.PHONY: assets build run test lint bench screenshots clean

# The Go binary embeds dashboard/assets/ (go:embed), so ECharts must be
# copied there before anything compiles the dashboard package.
assets: $(ECHARTS)

$(NPM_STAMP): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

$(ECHARTS): $(NPM_STAMP)
	mkdir -p $(@D)
	cp node_modules/echarts/dist/echarts.min.js $@

build: assets
	$(GO) build -o $(BIN) ./cmd/twinmetrics

# The binary creates, migrates and seeds its database; TWINMETRICS_ADDR
# (default 127.0.0.1:8080) and TWINMETRICS_DB (default var/twinmetrics.db)
# pass through from the environment.
run: build
	mkdir -p var
	./$(BIN) serve

# Every test, with the race detector. The browser tests (Lighthouse
# retries among them) take minutes under -race: the timeout is set well
# above Go's default ten minutes, so a slow run fails as a timeout only
# when something hangs.
test: assets
	$(GO) test -race -count=1 -timeout 30m ./...

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

# The README's pictures, taken by a browser test from the seeded app (a
# plain `make test` skips that test).
screenshots: assets
	TWINMETRICS_SCREENSHOTS=1 $(GO) test -count=1 -run '^TestBrowserScreenshots$$' ./dashboard/

# Leaves var/ alone: it holds the local database.
clean:
	rm -rf bin dashboard/assets/vendor node_modules
