# Set-up and everyday targets. On a fresh Debian machine, as root:
#   make run    install what is missing, build Release, run the daemon
#   make test   install what is missing, build, run every test through ctest
# See README.md.

BUILD_DIR   ?= build
ASAN_DIR    ?= build-asan
FUZZ_DIR    ?= build-fuzz
JOBS        ?= 2
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

# Debian packages the build needs (DESIGN.md section 11), plus the toolchain.
DEPS := build-essential cmake pkg-config \
        librocksdb-dev libfaiss-dev libopenblas-dev libxapian-dev \
        libflatbuffers-dev flatbuffers-compiler libcpp-httplib-dev \
        nlohmann-json3-dev libyaml-cpp-dev libcurl4-openssl-dev libspdlog-dev \
        catch2 libssl-dev libjemalloc-dev
FUZZ_DEPS := clang libclang-rt-14-dev

.PHONY: all deps build run test test-asan soak fuzz bench clean

all: build

# Installs only what dpkg says is missing; says nothing and touches no network
# when everything is there.
define install_missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEPS))

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/bin/signet daemon run

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DSIGNET_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j$(JOBS)
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j$(JOBS)

# Long crash and load runs, kept out of `make test`: 200 SIGKILL cycles of
# the journal and of the daemon, and a 30-minute soak of 32 clients.
SOAK_SECONDS ?= 1800
CRASH_CYCLES ?= 200
soak: build
	SIGNET_CRASH_CYCLES=$(CRASH_CYCLES) $(BUILD_DIR)/tests/crash_test
	SIGNET_CRASH_CYCLES=$(CRASH_CYCLES) $(BUILD_DIR)/tests/crash_recovery_test
	SIGNET_SOAK_SECONDS=$(SOAK_SECONDS) $(BUILD_DIR)/tests/soak_test

# libFuzzer targets (tests/fuzz/README.md), FUZZ_SECONDS each, one at a time;
# fails if any finds a crash, leak or timeout. Their inputs also run in
# `make test` (ctest -L fuzz-regression).
fuzz:
	$(call install_missing,$(DEPS) $(FUZZ_DEPS))
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_FUZZ=ON -DSIGNET_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_DIR) -j$(JOBS) --target fuzz_targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run_all.sh $(FUZZ_DIR)/bin

# The default benchmark set (docs/benchmarks.md); results also in $(BUILD_DIR)/bench.json.
# More: make bench BENCH_ARGS="--scale 1m" or BENCH_ARGS='--compare journal.sync=always journal.sync=batch'.
BENCH_ARGS ?=
bench: build
	$(BUILD_DIR)/bin/signet-bench --json $(BUILD_DIR)/bench.json $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)
