# citymap — the two commands are `make run` and `make test`.
SHELL := /bin/bash
BIN   := bin/citymap

.PHONY: run test test-js bench build deps lint-sh db-start db-stop db-url clean

run: deps build
	scripts/run.sh

test: deps build lint-sh test-js
	scripts/test.sh

# The web map's pure modules (formatters, the city's calendar, the interface
# text, the flows, the wall's state), with Node's own test runner: seconds.
test-js: webmap/node_modules/.package-lock.json
	cd webmap && npm test --silent

bench: deps build
	scripts/bench.sh

# What a fresh Debian machine lacks: PostgreSQL 15 + PostGIS 3 from apt,
# pgBackRest for the backups, gdal-bin for the OGC API test with a real
# client, Mosquitto, the broker of the parking sensors, and chromium (with
# CJK fonts) for the web map's browser tests.
deps:
	scripts/db.sh install
	scripts/backup.sh install
	scripts/deps-gdal.sh
	scripts/mqtt.sh install
	scripts/deps-browser.sh

# shellcheck over every script under scripts/ and .ci/ (installed from apt when missing)
lint-sh:
	scripts/lint-sh.sh

build: webmap/dist/index.html
	go build -o $(BIN) ./cmd/citymap

# The web map: npm packages (npm ci, when the lock file changed) and the bundle
# (when a source changed); the Go binary embeds webmap/dist.
WEBMAP_SRC := $(shell find webmap/src -type f) webmap/build.mjs

webmap/node_modules/.package-lock.json: webmap/package-lock.json
	cd webmap && npm ci --no-audit --no-fund --loglevel=error

webmap/dist/index.html: webmap/node_modules/.package-lock.json $(WEBMAP_SRC)
	cd webmap && npm run --silent build

# The flows' rules the pages offer steps by, generated from the server's
# (webmap/flowrules; committed, and a Go test fails when it is stale).
FLOW_SRC := $(filter-out %_test.go,$(wildcard server/workflow/*.go server/taskflow/*.go server/declflow/*.go \
	webmap/flowrules/*.go webmap/flowrules/gen/*.go)) server/declarations/declarations.go server/auth/auth.go

webmap/src/lib/flows.gen.js: $(FLOW_SRC)
	go generate ./webmap/flowrules

db-start:
	scripts/db.sh start

db-stop:
	scripts/db.sh stop

db-url:
	@scripts/db.sh url

clean:
	rm -rf bin
