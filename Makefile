# medlake's quick start: `make demo` and `make test`. Both install what is missing first.
#
#   make demo        bootstrap, release build, run the demo on an embedded lake (./demo-lake)
#   make test        bootstrap, build with sanitizers, install the npm test clients, run every
#                    test with CTest
#   make build       bootstrap + build only (PRESET=debug|release|sanitize)
#   make clean       remove build/ (keeps the fetched DuckDB in .deps/)
PRESET ?= sanitize
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_LAKE ?= demo-lake

.PHONY: bootstrap configure build test demo clean

bootstrap:
	@./scripts/bootstrap

configure: bootstrap
	@cmake --preset $(PRESET) > build-configure.log 2>&1 || (cat build-configure.log; rm -f build-configure.log; exit 1)
	@rm -f build-configure.log

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

test: build
	@./scripts/npm-test-packages
	@ctest --preset $(PRESET) -j $(JOBS)

demo:
	@$(MAKE) --no-print-directory configure PRESET=release
	@cmake --build --preset release -j $(JOBS) --target medlake
	@./scripts/demo build/release/src/cli/medlake $(DEMO_LAKE)

clean:
	rm -rf build
