#!/usr/bin/env bash
# One entry point for Perlinsos: ./build.sh test | demo | bench | fuzz [SECONDS] | bindings
# Installs what it needs when missing. Keeps build output in a target directory that survives
# between runs (CI starts from a fresh checkout; rebuilding every dependency is slow on 2 cores).
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/perlinsos/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-0}"

log() { printf '== %s\n' "$*" >&2; }

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"
}

need_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        log "cargo not found: install Rust with rustup (https://rustup.rs) and run again"
        exit 1
    fi
    # A C compiler builds the bundled SQLite and ring; cmake and nasm build libjpeg-turbo (with
    # its x86 SIMD) for the evidence photos.
    command -v cc >/dev/null 2>&1 || apt_install build-essential
    command -v cmake >/dev/null 2>&1 || apt_install cmake
    command -v nasm >/dev/null 2>&1 || apt_install nasm
    if command -v rustup >/dev/null 2>&1; then
        for component in rustfmt clippy; do
            rustup component list --installed 2>/dev/null | grep -q "^$component" ||
                rustup component add "$component"
        done
    fi
}

# A throw-away PostgreSQL cluster for the server's tests: its own folder, port and socket,
# trust auth on loopback only, fsync off (its data is thrown away), stopped on exit.
start_test_postgres() {
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [ -z "$bindir" ]; then
        apt_install postgresql
        bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    PG_DIR=$(mktemp -d /tmp/perlinsos-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    local run=()
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$PG_DIR"
        run=(runuser -u postgres --)
    fi
    PG_STOP=("${run[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -m fast stop)
    trap stop_test_postgres EXIT
    "${run[@]}" "$bindir/initdb" -D "$PG_DIR/data" -A trust -U perlinsos >/dev/null
    # A port below Linux's ephemeral range (32768 up), where a test's client sockets live; a
    # port taken all the same (seen once: "Address already in use") is tried again elsewhere.
    local port tries=0
    while :; do
        port=$((20000 + RANDOM % 12000))
        "${run[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
            -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null &&
            break
        tries=$((tries + 1))
        [ "$tries" -lt 5 ] || { cat "$PG_DIR/log" >&2; return 1; }
    done
    export PERLINSOS_TEST_DATABASE_URL="postgres://perlinsos@127.0.0.1:$port/postgres"
}

stop_test_postgres() {
    "${PG_STOP[@]}" >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}

# Where ./build.sh test leaves the rendered screens (PNG, one per state and font scale).
SCREENS_GALLERY="${SCREENS_GALLERY:-$HOME/.cache/perlinsos/screens/gallery}"

cmd_test() {
    need_rust
    log "cargo fmt --check"
    cargo fmt --all -- --check
    log "cargo clippy --all-targets -- -D warnings"
    cargo clippy --workspace --all-targets --locked -- -D warnings
    # The review console's browser test drives Debian's Chromium through chromedriver.
    apt_install chromium chromium-driver
    log "cargo test (every crate: unit, property, migration, at-rest, kill, CLI, server)"
    local out; out=$(mktemp)
    cargo test --workspace --locked 2>&1 | tee "$out"
    cmd_kotlin_test | tee -a "$out"
    # The app's shared Compose screens on the JVM (Compose desktop from Maven Central): compiled,
    # rendered at 360x800 dp and font scale 1.0/1.5 into the gallery, compared with the goldens,
    # and driven by UI tests.
    log "Compose screens: compile, gallery ($SCREENS_GALLERY), goldens, UI tests"
    SCREENS_NICE=0 android/screens/build-screens.sh all "$SCREENS_GALLERY" 2>&1 | tee -a "$out"
    # The agent's day through the real screens, view-models and library (built with the test
    # hooks by kotlin-test just before) against a real perlinsos-server.
    log "UI walk: screens + view-models + the library + perlinsos-server"
    SCREENS_NICE=0 PERLINSOS_SERVER_BIN="$CARGO_TARGET_DIR/debug/perlinsos-server" \
        android/screens/build-screens.sh walk 2>&1 | tee -a "$out"
    grep -q '^walk: [1-9][0-9]* passed, 0 failed' "$out" || { log "UI walk did not pass"; exit 1; }
    # The sync API against its OpenAPI document (server/openapi.json): schemathesis (pinned, in
    # a venv under ~/.cache/perlinsos) with valid device signatures, 90 s; no 5xx and no status,
    # content type, header or body the document does not describe.
    log "API fuzz: schemathesis against perlinsos-server, signed requests (90 s)"
    tools/api-fuzz/run.sh "$CARGO_TARGET_DIR/debug/perlinsos-server" 90 2>&1 | tee -a "$out"
    grep -q '^api-fuzz: [1-9][0-9]* passed, 0 failed' "$out" || { log "API fuzz did not pass"; exit 1; }
    log "the server's sync and review-console tests again, on PostgreSQL (a throw-away cluster)"
    start_test_postgres
    cargo test --locked -p perlinsos-e2e --test sync --test sync_refusals --test sync_faults \
        --test sync_kill --test sync_locked --test review_console --test server_attacks --test query_plans --test near_duplicates --test tls --test server_at_rest --test server_limits --test phone_trust --test data_key_rotation \
        --test worklist --test visits --test visit_answers --test results --test reenrollment 2>&1 | tee -a "$out"
    cargo test --locked -p perlinsos-server --test migrations 2>&1 | tee -a "$out"
    # aarch64: the core's and the bindings' tests under qemu-user, and the library's size
    # (about 12 minutes with a warm target dir; bench/ARM-REPORT.md).
    log "ARM (aarch64): cross-build, tests under qemu, library size"
    tools/arm.sh 2>&1 | tee -a "$out"
    awk '/^test result:/ { p += $4; f += $6 } /^(kotlin|screens|walk|api-fuzz): / { p += $2; f += $4 } END { printf "%d passed, %d failed\n", p, f }' "$out"
    rm -f "$out"
    log "all checks passed"
}

cmd_demo() {
    need_rust
    # The demo runs the real perlinsos-server binary for the officer's decisions.
    cargo build --locked -p perlinsos-cli --bin perlinsos -p perlinsos-server --bin perlinsos-server
    "$CARGO_TARGET_DIR/debug/perlinsos" demo "$@"
}

cmd_bench() {
    need_rust
    log "building the stripped release library to track its size"
    cargo build --locked --release -p perlinsos-ffi --lib
    PERLINSOS_FFI_SIZE=$(stat -c %s "$CARGO_TARGET_DIR/release/libperlinsos_ffi.so")
    export PERLINSOS_FFI_SIZE
    export PERLINSOS_BENCH_REPORT="${PERLINSOS_BENCH_REPORT:-$PWD/bench/REPORT.md}"
    export PERLINSOS_BENCH_DIR="${PERLINSOS_BENCH_DIR:-$PWD/bench}"
    cargo bench --locked -p perlinsos-core --bench register
    cargo bench --locked -p perlinsos-core --bench pmt
    cargo bench --locked -p perlinsos-core --bench unlock
    # The evidence anchor: vipsthumbnail, timed side by side; GNU time for peak RSS.
    command -v vipsthumbnail >/dev/null 2>&1 || apt_install libvips-tools
    [ -x /usr/bin/time ] || apt_install time
    command -v taskset >/dev/null 2>&1 || apt_install util-linux
    export PERLINSOS_EVIDENCE_BENCH_REPORT="${PERLINSOS_EVIDENCE_BENCH_REPORT:-$PWD/bench/EVIDENCE-REPORT.md}"
    cargo bench --locked -p perlinsos-cli --bench evidence
    # Sync: 1,000 households and 100 photos, straight and through a 3G-shaped proxy.
    export PERLINSOS_SYNC_BENCH_REPORT="${PERLINSOS_SYNC_BENCH_REPORT:-$PWD/bench/SYNC-REPORT.md}"
    cargo bench --locked -p perlinsos-e2e --bench sync
    # Ingest at a field day's peak: 50 phones at once into PostgreSQL, against plain INSERTs.
    export PERLINSOS_INGEST_BENCH_REPORT="${PERLINSOS_INGEST_BENCH_REPORT:-$PWD/bench/INGEST-REPORT.md}"
    start_test_postgres
    cargo bench --locked -p perlinsos-e2e --bench ingest
    # Worklists: phone search on 3,000 families, the 3G download, a 400,000-family import.
    export PERLINSOS_WORKLIST_BENCH_REPORT="${PERLINSOS_WORKLIST_BENCH_REPORT:-$PWD/bench/WORKLIST-REPORT.md}"
    cargo bench --locked -p perlinsos-e2e --bench worklist
    # The console and the feed at a province's size: 1,000,000 households, 100,000 sanggahan.
    export PERLINSOS_PROVINCE_BENCH_REPORT="${PERLINSOS_PROVINCE_BENCH_REPORT:-$PWD/bench/PROVINCE-REPORT.md}"
    cargo bench --locked -p perlinsos-e2e --bench province
}

cmd_fuzz() {
    local seconds="${1:-60}"
    need_rust
    rustup toolchain list | grep -q '^nightly' || {
        log "cargo fuzz needs a nightly toolchain: rustup toolchain install nightly"
        exit 1
    }
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
    # SECONDS per target; the committed seeds start the working corpus (corpus/ is not
    # committed). The phone's parsers (core/fuzz), then the server's parsers of outside input
    # (server/fuzz).
    local crate target
    for crate in core server; do
        for target in $(cd "$crate" && cargo +nightly fuzz list); do
            mkdir -p "$crate/fuzz/corpus/$target" "$crate/fuzz/seeds/$target"
            log "fuzz $crate/$target for $seconds s"
            (cd "$crate" && cargo +nightly fuzz run "$target" "fuzz/corpus/$target" \
                "fuzz/seeds/$target" -- -max_total_time="$seconds")
        done
    done
}

cmd_bindings() {
    generate_bindings bindgen "$CARGO_TARGET_DIR/bindings/kotlin"
}
# generate_bindings FEATURES OUT: the host library with FEATURES, and its Kotlin bindings in OUT.
generate_bindings() {
    need_rust
    cargo build --locked -p perlinsos-ffi --features "$1"
    "$CARGO_TARGET_DIR/debug/uniffi-bindgen" generate --library --no-format \
        "$CARGO_TARGET_DIR/debug/libperlinsos_ffi.so" --language kotlin --out-dir "$2"
    log "Kotlin bindings in $2"
}

# kotlinc from the npm package kotlin-compiler (it carries kotlin-stdlib, kotlin-test and
# kotlinx-coroutines jars); JNA and the JUnit 5 console launcher from Debian.
KOTLIN_VERSION=2.4.20
need_kotlin() {
    command -v java >/dev/null 2>&1 || apt_install default-jdk-headless
    apt_install libjna-java junit5
    KOTLIN_HOME="$HOME/.cache/perlinsos/kotlinc-$KOTLIN_VERSION"
    if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ]; then
        command -v npm >/dev/null 2>&1 || apt_install npm
        log "fetching kotlin-compiler $KOTLIN_VERSION (npm)"
        local tmp; tmp=$(mktemp -d)
        (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar xzf ./*.tgz)
        mkdir -p "$(dirname "$KOTLIN_HOME")"
        rm -rf "$KOTLIN_HOME"
        mv "$tmp/package" "$KOTLIN_HOME"
        chmod +x "$KOTLIN_HOME"/bin/*
        rm -rf "$tmp"
    fi
}

# The Kotlin tests: the generated bindings, the app's view-models (android/viewmodels) and
# bindings/kotlin-tests compiled in one kotlinc call (it is slow to start), run by JUnit's
# console launcher against the real library.
cmd_kotlin_test() {
    need_kotlin
    # The tests' library has the test hooks (a panic on purpose); the app's never does.
    local bindings="$CARGO_TARGET_DIR/bindings/kotlin-test-hooks"
    generate_bindings bindgen,test-hooks "$bindings"
    # The sync test starts a real server.
    cargo build --locked -p perlinsos-server --bin perlinsos-server
    export PERLINSOS_SERVER_BIN="$CARGO_TARGET_DIR/debug/perlinsos-server"
    local lib="$KOTLIN_HOME/lib" out="$CARGO_TARGET_DIR/kotlin-tests"
    # kotlinx-coroutines-test (virtual time for the auto-lock tests), the version of kotlinc's
    # kotlinx-coroutines-core (1.8.0): from the screens' pinned Maven jars.
    android/screens/build-screens.sh deps
    local coroutines_test
    coroutines_test=$(ls "${COMPOSE_DEPS:-$HOME/.cache/perlinsos/compose-deps}"/kotlinx-coroutines-test-jvm-*.jar | head -1)
    local cp="/usr/share/java/jna.jar:$lib/kotlin-test.jar:$lib/kotlin-test-junit5.jar:$coroutines_test"
    cp="$cp:$lib/kotlinx-coroutines-core-jvm.jar:/usr/share/java/junit-platform-console-standalone.jar"
    rm -rf "$out" && mkdir -p "$out"
    log "kotlinc (generated bindings + bindings/kotlin-tests)"
    "$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$cp" -d "$out/classes" \
        "$bindings" android/viewmodels/src/main/kotlin bindings/kotlin-tests 2>&1 |
        grep -v '^warning' || true
    [ -d "$out/classes" ] || { log "kotlinc failed"; exit 1; }
    log "Kotlin tests on the JVM (real libperlinsos_ffi.so)"
    local report="$out/report"
    RUST_BACKTRACE=0 java -Djna.library.path="$CARGO_TARGET_DIR/debug" \
        -cp "$out/classes:$cp:$lib/kotlin-stdlib.jar" \
        org.junit.platform.console.ConsoleLauncher --disable-banner --disable-ansi-colors --details=tree \
        --select-package=id.perlinsos.tests --reports-dir="$report" >"$out/junit.log" 2>&1 &&
        status=0 || status=$?
    cat "$out/junit.log"
    # CI reads a plain summary line, not JUnit's box.
    local passed failed
    passed=$(grep -o '[0-9]* tests successful' "$out/junit.log" | grep -o '^[0-9]*' || echo 0)
    failed=$(grep -o '[0-9]* tests failed' "$out/junit.log" | grep -o '^[0-9]*' || echo 0)
    echo "kotlin: $passed passed, $failed failed"
    return "$status"
}

case "${1:-}" in
    test) shift; cmd_test "$@" ;;
    demo) shift; cmd_demo "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    fuzz) shift; cmd_fuzz "$@" ;;
    bindings) shift; cmd_bindings "$@" ;;
    kotlin-test) shift; cmd_kotlin_test "$@" ;;
    arm) shift; tools/arm.sh "$@" ;;
    *)
        echo "usage: ./build.sh test | demo | bench | fuzz [SECONDS] | bindings | arm [armv7]" >&2
        exit 2
        ;;
esac
