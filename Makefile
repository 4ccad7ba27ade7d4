# logit: the two commands of the README are `make run` and `make test`.
SWIFT ?= swift
PORT ?= 5000

.PHONY: setup build run test release bench clean format

## Install missing system packages (libhiredis-dev, redis-server) on Debian/Ubuntu.
setup:
	@./scripts/setup.sh

## Build the release binary and start Redis (if none answers), the API on :$(PORT) and a worker.
run: setup
	$(SWIFT) build -c release --product logit
	.build/release/logit dev --port $(PORT)

## Check formatting (.swift-format), build everything (debug), run the whole test suite (unit + integration with
## real redis-server processes), then Schemathesis against a live deployment (every answer vs /openapi.json), then the
## exported models in onnxruntime, scikit-learn and tritonclient against the same deployment's predictions, then the
## dashboard in headless chromium (train, charts, predictions, alias, no console errors; screenshots in a temp folder).
## The tests run one at a time (~3 min, against ~1 min in parallel): many integration tests wait for processes they
## start and stop (redis-server, Sentinels, the logit binary), and run in parallel on 2 cores those waits starved the
## cooperative thread pool for seconds, failing a different test's deadline now and then (5 of 10 full runs on
## 2026-11-30). `swift test --skip-build` runs them in parallel, for a quick local check.
test: setup
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	python3 scripts/api_contract.py --binary .build/debug/logit
	python3 scripts/export_check.py --binary .build/debug/logit
	python3 scripts/dashboard_check.py --binary .build/debug/logit

release: setup
	$(SWIFT) build -c release --product logit

## Numeric benchmarks side by side with scikit-learn (see docs/PERFORMANCE.md).
bench: setup
	$(SWIFT) build -c release --product logit-bench
	LOGIT_BENCH_SCRATCH=.build python3 scripts/bench_vs_sklearn.py --skip-build --repetitions 5 --sizes 100k,wide,1m --tol 1e-6

clean:
	rm -rf .build .logit-data

## Rewrite the sources in the house style (.swift-format); `make test` fails on any difference.
format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift
