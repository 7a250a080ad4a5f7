# Thin wrapper over CMake presets. `make run` and `make test` work on a fresh Debian 12
# machine as root: they install what is missing first (scripts/deps.sh).
.PHONY: all deps dev asan release run test test-dev test-asan bench fmt lint clean

CMAKE ?= cmake
CTEST ?= ctest
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CQUANT = build/release/apps/cquant/cquant

all: dev

deps:
	@bash scripts/deps.sh
	@bash scripts/web-deps.sh

build/%/build.ninja: CMakeLists.txt CMakePresets.json
	$(CMAKE) --preset $* >/dev/null

dev asan release: %: deps
	@$(CMAKE) --preset $@ >/dev/null
	$(CMAKE) --build --preset $@ -j $(JOBS)

# The main job: the real candles of the shared data folder when it is beside the clone,
# else the samples bundled in tests/data; into the default store ./var/cquant.db.
DEMO_DATA ?= $(if $(wildcard ../shared/data/market/*.csv),../shared/data/market,tests/data)

run: release
	$(CQUANT) version
	$(CQUANT) demo --data $(DEMO_DATA) --features examples/features/trend.yaml

test: deps
	$(MAKE) --no-print-directory test-dev
	$(MAKE) --no-print-directory test-asan

test-dev: dev
	$(CTEST) --preset dev

test-asan: asan
	$(CTEST) --preset asan

bench: release
	@bash scripts/bench.sh build/release

SOURCES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

fmt:
	clang-format -i $(SOURCES)

lint: dev
	clang-tidy -p build/dev --quiet $(filter %.c,$(SOURCES))
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --std=c11 -Iinclude --suppress=missingIncludeSystem \
	  $(filter %.c,$(SOURCES))

clean:
	rm -rf build
