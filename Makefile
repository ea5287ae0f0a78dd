# Needle: the commands a developer and CI use. `make test` is what CI runs.
GO        ?= go
BIN       ?= bin/needle
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
DATA      ?= ./needle-data
FUZZTIME  ?= 20s

.PHONY: build run test vet fmt-check unit purego generate-check compat fuzz bench crash clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/needle

## run: start the server on 127.0.0.1:6333 with data in ./needle-data
run:
	$(GO) run ./cmd/needle serve --data-dir $(DATA)

## test: everything CI checks (vet, gofmt, race tests, purego kernels, generated code, client compatibility)
test: vet fmt-check unit purego generate-check compat

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -timeout 10m ./...
	# resident-memory checks, which the race detector's shadow memory distorts
	$(GO) test -timeout 5m -run 'TestRunANN' ./internal/bench

purego:
	$(GO) test -tags purego -timeout 5m ./internal/distance ./internal/index/... ./internal/collection

generate-check:
	./internal/distance/_asm/check_generated.sh
	./internal/index/quant/pq/_asm/check_generated.sh

compat:
	./compat/run.sh

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$spec $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./$$spec; \
	  done; done

## bench: micro-benchmarks beside the code (results go to BENCHMARKS.md by hand, with the machine)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1s ./internal/distance ./internal/index/... ./internal/topk ./internal/wal

clean:
	rm -rf bin

## crash: the kill -9 crash test for many rounds (CRASH_ROUNDS, default 200)
crash:
	CRASH_ROUNDS=$${CRASH_ROUNDS:-200} $(GO) test -run 'TestCrash' -v -timeout 60m ./internal/crashtest

## bench-quant: int8 / PQ / binary codes and IVF-PQ against float32 HNSW and Faiss (bench/compare-quant.sh)
.PHONY: bench-quant
bench-quant:
	bench/compare-quant.sh

## bench-knn: needle knn-graph (exact top-200 cosine, clustered-100k-768-unit) and the Faiss peer, back to back
KNN_DATA  ?= /tmp/needle-data
KNN_PEERS ?= ../shared/bench/peers.py
.PHONY: bench-knn
bench-knn: build
	@uptime
	/usr/bin/time -f 'faiss: %e s wall, %M KiB peak RSS' /usr/bin/python3 $(KNN_PEERS) knn --input $(KNN_DATA)/clustered-100k-768-unit.base.npy --k 200 --metric ip --threads 2
	/usr/bin/time -f 'needle: %e s wall, %M KiB peak RSS' $(BIN) knn-graph --input $(KNN_DATA)/clustered-100k-768-unit.base.npy --k 200 --metric cosine --threads 2 --checkpoint-interval 0 --out /tmp/needle-knn-100k.npz
	@uptime
