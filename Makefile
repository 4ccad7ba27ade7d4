# logit: the two commands of the README are `make run` and `make test`.
SWIFT ?= swift
PORT ?= 5000

.PHONY: setup build run test release bench clean

## Install missing system packages (libhiredis-dev, redis-server) on Debian/Ubuntu.
setup:
	@./scripts/setup.sh

## Build the release binary and start Redis (if none answers), the API on :$(PORT) and a worker.
run: setup
	$(SWIFT) build -c release --product logit
	.build/release/logit dev --port $(PORT)

## Build everything (debug) and run the whole test suite (unit + integration with real redis-server processes).
test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

release: setup
	$(SWIFT) build -c release --product logit

## Numeric benchmarks side by side with scikit-learn (see docs/PERFORMANCE.md).
bench: setup
	$(SWIFT) build -c release --product logit-bench
	LOGIT_BENCH_SCRATCH=.build python3 scripts/bench_vs_sklearn.py --skip-build --repetitions 5 --sizes 100k,wide,1m --tol 1e-6

clean:
	rm -rf .build .logit-data
