# citymap — the two commands are `make run` and `make test`.
SHELL := /bin/bash
BIN   := bin/citymap

.PHONY: run test bench build deps db-start db-stop db-url clean

run: deps build
	scripts/run.sh

test: deps build
	scripts/test.sh

bench: deps build
	scripts/bench.sh

# What a fresh Debian machine lacks: PostgreSQL 15 + PostGIS 3 from apt.
deps:
	scripts/db.sh install

build:
	go build -o $(BIN) ./cmd/citymap

db-start:
	scripts/db.sh start

db-stop:
	scripts/db.sh stop

db-url:
	@scripts/db.sh url

clean:
	rm -rf bin
