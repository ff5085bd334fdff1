# Thin wrapper: the real build is CMake + Ninja. `make run` and `make test` work on a fresh
# Debian bookworm machine (they install what they need first).
BUILD_DIR ?= build
SANITIZE_BUILD_DIR ?= build-sanitize
CMAKE_FLAGS ?=
CONFIG ?= config/dev.toml

.PHONY: deps build run test test-peers test-sanitize bench format clean

deps:
	./scripts/install-deps

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DOAUTH_MANAGER_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

var/dev.keys:
	mkdir -p var
	$(BUILD_DIR)/oauth-manager gen-key --out var/dev.keys

# The secret development JWTs are signed with (`oauth-manager mint-token`); never used in production.
var/dev-jwt.secret:
	mkdir -p var
	(umask 077 && head -c 48 /dev/urandom | base64 -w0 > var/dev-jwt.secret)

run: build var/dev.keys var/dev-jwt.secret
	$(BUILD_DIR)/oauth-manager serve --config $(CONFIG)

# The test peers and the browser-test driver from the npm registry, exactly as package-lock.json
# pins them (playwright-core drives Debian's chromium; it never downloads a browser).
PEER_DIR = tests/peers/oidc-provider
BROWSER_TEST_DIR = tests/browser
$(PEER_DIR)/node_modules/.package-lock.json: $(PEER_DIR)/package-lock.json | deps
	npm ci --prefix $(PEER_DIR) --no-audit --no-fund
$(BROWSER_TEST_DIR)/node_modules/.package-lock.json: $(BROWSER_TEST_DIR)/package-lock.json | deps
	npm ci --prefix $(BROWSER_TEST_DIR) --no-audit --no-fund

test-peers: $(PEER_DIR)/node_modules/.package-lock.json $(BROWSER_TEST_DIR)/node_modules/.package-lock.json

test: build test-peers
	./scripts/with-test-services ctest --test-dir $(BUILD_DIR) --output-on-failure -j 2

# The unit and integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-sanitize: deps test-peers
	cmake -S . -B $(SANITIZE_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOAUTH_MANAGER_WERROR=ON \
	  -DOAUTH_MANAGER_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(SANITIZE_BUILD_DIR)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ./scripts/with-test-services ctest --test-dir $(SANITIZE_BUILD_DIR) --output-on-failure -j 2 -L 'unit|integration'

bench: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DOAUTH_MANAGER_BUILD_BENCH=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR)
	./scripts/with-test-services ./scripts/run-benchmarks $(BUILD_DIR)
	./scripts/with-test-services ./scripts/bench-http $(BUILD_DIR)
	./scripts/with-test-services ./scripts/bench-scale $(BUILD_DIR)
	./scripts/with-test-services ./scripts/bench-concurrency $(BUILD_DIR)

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_BUILD_DIR)
