#!/usr/bin/env bash
# The shared Compose screens on the JVM (Compose Multiplatform desktop, headless).
#   build-screens.sh deps            fetch the pinned jars (pom.xml) into the cache, if missing
#   build-screens.sh compile         kotlinc + the Compose compiler plugin: screens, gallery, tests
#   build-screens.sh gallery [DIR]   render every screen state to PNG (default ~/.cache/perlinsos/screens/gallery)
#   build-screens.sh test [DIR]      the gallery, then the screenshot tests (each PNG against goldens/,
#                                    diff PNGs beside the fresh ones) and the UI tests (JUnit 5
#                                    console launcher); a last line "screens: N passed, N failed"
#   build-screens.sh all [DIR]       the same (the default)
#   build-screens.sh goldens         re-record goldens/ from a fresh render (review the change first)
#   build-screens.sh walk            the agent's day through the real screens, view-models (src/app
#                                    mappings, ../viewmodels) and library against a real perlinsos-server;
#                                    a last line "walk: N passed, N failed" (skipped, with the reason,
#                                    when the library, the bindings or the server binary is missing)
# Needs Java 17, Maven and the npm kotlin-compiler (fetched like ../../build.sh does).
# Nothing is written inside the repository except by `goldens`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

KOTLIN_VERSION=${KOTLIN_VERSION:-2.4.20}
KOTLIN_HOME=${KOTLIN_HOME:-$HOME/.cache/perlinsos/kotlinc-$KOTLIN_VERSION}
SCREENS_POM=${SCREENS_POM:-$HERE/pom.xml}
COMPOSE_DEPS=${COMPOSE_DEPS:-$HOME/.cache/perlinsos/compose-deps}
SCREENS_OUT=${SCREENS_OUT:-$HOME/.cache/perlinsos/screens}
GALLERY=${GALLERY:-$SCREENS_OUT/gallery}
GOLDENS=$HERE/goldens
JUNIT_STANDALONE=/usr/share/java/junit-platform-console-standalone.jar
NICE=(nice -n "${SCREENS_NICE:-19}")

log() { printf '== %s\n' "$*" >&2; }

apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"
}

need_tools() {
    command -v java >/dev/null 2>&1 || apt_install default-jdk-headless
    command -v mvn >/dev/null 2>&1 || apt_install maven
    # junit5: the console launcher (with the vintage engine and junit4); the fonts: what skia
    # finds through fontconfig headless (text renders in DejaVu Sans; goldens depend on it).
    apt_install junit5 fontconfig fonts-dejavu-core
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

# The jars of pom.xml, fetched again only when the pom changed (its hash is kept beside them).
# kotlin-stdlib comes from the kotlinc distribution (newer than the one Compose was built with).
cmd_deps() {
    need_tools
    local want have=""
    want=$(sha256sum "$SCREENS_POM" | cut -d' ' -f1)
    [ -f "$COMPOSE_DEPS/.pom.sha256" ] && have=$(cat "$COMPOSE_DEPS/.pom.sha256")
    [ "$want" = "$have" ] && return 0
    log "fetching the Compose desktop jars (Maven) into $COMPOSE_DEPS"
    local tmp="$COMPOSE_DEPS.tmp"
    rm -rf "$tmp"
    # (-q still prints bare colour resets; the sed drops them, pipefail keeps mvn's status)
    "${NICE[@]}" mvn -B -q -f "$SCREENS_POM" dependency:copy-dependencies -DoutputDirectory="$tmp" \
        -DexcludeArtifactIds=kotlin-stdlib,kotlin-stdlib-jdk7,kotlin-stdlib-jdk8,kotlin-stdlib-common 2>&1 |
        sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2
    echo "$want" >"$tmp/.pom.sha256"
    rm -rf "$COMPOSE_DEPS"
    mv "$tmp" "$COMPOSE_DEPS"
}

classpath() {
    local lib="$KOTLIN_HOME/lib" cp
    cp=$(find "$COMPOSE_DEPS" -maxdepth 1 -name '*.jar' | sort | tr '\n' ':')
    printf '%s' "${cp}$lib/kotlin-stdlib.jar:$lib/kotlin-test.jar:$lib/kotlin-test-junit5.jar:$JUNIT_STANDALONE"
}

# One kotlinc call (it is slow to start) for the screens, the gallery and the tests; skipped
# when no source, the pom or the kotlinc changed since the last successful compile.
cmd_compile() {
    cmd_deps || return 1
    local classes="$SCREENS_OUT/classes" stamp="$SCREENS_OUT/classes.stamp"
    if [ -f "$stamp" ] && [ -d "$classes" ] && [ "$(cat "$stamp")" = "$KOTLIN_HOME $(cat "$COMPOSE_DEPS/.pom.sha256")" ] &&
        [ -z "$(find "$HERE/src" -newer "$stamp" -print -quit)" ]; then
        log "screens: classes up to date"
        return 0
    fi
    log "kotlinc $KOTLIN_VERSION + Compose compiler plugin (screens, gallery, tests)"
    rm -rf "$classes" "$stamp" && mkdir -p "$SCREENS_OUT"
    local start=$SECONDS
    # The plugin is the one shipped with this kotlinc (lib/compose-compiler-plugin.jar): it always
    # matches the compiler. Maven's kotlin-compose-compiler-plugin-embeddable is for the
    # embeddable compiler (relocated packages), not for the kotlinc command line.
    "${NICE[@]}" "$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 \
        -Xplugin="$KOTLIN_HOME/lib/compose-compiler-plugin.jar" \
        -cp "$(classpath)" -d "$classes" \
        "$HERE/src/main/kotlin" "$HERE/src/gallery/kotlin" "$HERE/src/test/kotlin" ||
        { rm -rf "$classes"; log "kotlinc failed"; return 1; }
    echo "$KOTLIN_HOME $(cat "$COMPOSE_DEPS/.pom.sha256")" >"$stamp"
    log "screens compiled in $((SECONDS - start)) s"
}

run_java() {
    "${NICE[@]}" java -Djava.awt.headless=true -cp "$SCREENS_OUT/classes:$HERE/src/main/resources:$(classpath)" "$@"
}

cmd_gallery() {
    local dir="${1:-$GALLERY}" start
    cmd_compile || return 1
    start=$SECONDS
    mkdir -p "$dir"
    log "rendering the gallery into $dir (360x800 dp, density 2, font scale 1.0 and 1.5, DejaVu Sans)"
    run_java id.perlinsos.screens.gallery.GalleryKt "$dir" || { log "gallery failed"; return 1; }
    log "gallery rendered in $((SECONDS - start)) s"
    echo "gallery: $dir"
}

# The gallery straight into goldens/ (stale goldens of removed states are deleted by the gallery).
cmd_goldens() {
    cmd_gallery "$GOLDENS" || return 1
    echo "goldens re-recorded: $GOLDENS (review with git diff --stat, then commit)"
}

# Gallery, then one JUnit run: the screenshot comparison (GoldenTest) and the UI tests.
cmd_test() {
    local dir="${1:-$GALLERY}"
    cmd_gallery "$dir" || { echo "screens: 0 passed, 1 failed"; return 1; }
    local log_file="$SCREENS_OUT/junit.log" status=0 start=$SECONDS
    log "screenshot and UI tests (Compose desktop UI test API, JUnit 5 console launcher)"
    run_java -Dscreens.goldens="$GOLDENS" -Dscreens.gallery="$dir" \
        org.junit.platform.console.ConsoleLauncher --disable-banner --disable-ansi-colors \
        --details=tree --select-package=id.perlinsos.screens --reports-dir="$SCREENS_OUT/report" \
        >"$log_file" 2>&1 || status=$?
    cat "$log_file"
    log "tests ran in $((SECONDS - start)) s"
    local diffs; diffs=$(find "$dir" -maxdepth 1 -name '*.diff.png' | sort)
    [ -n "$diffs" ] && log "changed screens (red = changed pixels):" && printf '   %s\n' $diffs >&2
    local passed failed
    passed=$(grep -o '[0-9]* tests successful' "$log_file" | grep -o '^[0-9]*' || echo 0)
    failed=$(grep -o '[0-9]* tests failed' "$log_file" | grep -o '^[0-9]*' || echo 0)
    # A launcher that could not start counts as a failure, not as "0 failed".
    [ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
    echo "screens: $passed passed, $failed failed"
    return "$status"
}

# ---- The walk: screens + src/app + ../viewmodels + the generated bindings + src/walk, in one
# kotlinc call, run against the host library and a real server (both built by ../../build.sh;
# this never runs cargo). Paths: WALK_BINDINGS (the generated Kotlin), WALK_LIB_DIR (the folder
# of libperlinsos_ffi.so), PERLINSOS_SERVER_BIN.
TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/perlinsos/target}
WALK_BINDINGS=${WALK_BINDINGS:-$TARGET_DIR/bindings/kotlin-test-hooks}
WALK_LIB_DIR=${WALK_LIB_DIR:-$TARGET_DIR/debug}
WALK_SERVER_BIN=${PERLINSOS_SERVER_BIN:-$TARGET_DIR/debug/perlinsos-server}
JNA_JAR=${JNA_JAR:-/usr/share/java/jna.jar}
REPO=$(cd "$HERE/../.." && pwd)

cmd_walk() {
    local missing=""
    [ -f "$WALK_LIB_DIR/libperlinsos_ffi.so" ] || missing="$missing library $WALK_LIB_DIR/libperlinsos_ffi.so;"
    [ -x "$WALK_SERVER_BIN" ] || missing="$missing server $WALK_SERVER_BIN;"
    [ -n "$(find "$WALK_BINDINGS" -name '*.kt' -print -quit 2>/dev/null)" ] || missing="$missing bindings in $WALK_BINDINGS;"
    if [ -z "$missing" ] && command -v nm >/dev/null 2>&1; then
        # Bindings generated from one build, library from another (e.g. the test hooks in one only):
        # JNA would fail at the first call. Every function the bindings name must be in the library.
        local absent
        absent=$(comm -23 \
            <(find "$WALK_BINDINGS" -name '*.kt' -exec grep -oh 'uniffi_perlinsos_ffi_[a-z0-9_]*' {} + | sort -u) \
            <(nm -D --defined-only "$WALK_LIB_DIR/libperlinsos_ffi.so" | awk '{print $3}' | sort -u) | head -3 | tr '\n' ' ')
        [ -n "$absent" ] && missing=" a library that matches the bindings ($WALK_LIB_DIR/libperlinsos_ffi.so lacks ${absent% });"
    fi
    if [ -n "$missing" ]; then
        log "walk skipped: missing$missing build them with ../../build.sh kotlin-test (or bindings), or set WALK_LIB_DIR, WALK_BINDINGS, PERLINSOS_SERVER_BIN"
        echo "walk: 0 passed, 0 failed (skipped)"
        return 0
    fi
    cmd_deps || return 1
    apt_install libjna-java
    local classes="$SCREENS_OUT/walk-classes" stamp="$SCREENS_OUT/walk.stamp" start=$SECONDS
    local want; want="$KOTLIN_HOME $(cat "$COMPOSE_DEPS/.pom.sha256") $WALK_BINDINGS"
    if [ -f "$stamp" ] && [ -d "$classes" ] && [ "$(cat "$stamp")" = "$want" ] &&
        [ -z "$(find "$HERE/src" "$HERE/../viewmodels/src" "$WALK_BINDINGS" -newer "$stamp" -print -quit)" ]; then
        log "walk: classes up to date"
    else
        log "kotlinc $KOTLIN_VERSION + Compose plugin (screens, src/app, viewmodels, bindings, walk)"
        rm -rf "$classes" "$stamp" && mkdir -p "$SCREENS_OUT"
        "${NICE[@]}" "$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -nowarn \
            -Xplugin="$KOTLIN_HOME/lib/compose-compiler-plugin.jar" \
            -cp "$(classpath):$JNA_JAR" -d "$classes" \
            "$HERE/src/main/kotlin" "$HERE/src/app/kotlin" "$HERE/../viewmodels/src/main/kotlin" \
            "$WALK_BINDINGS" "$HERE/src/walk/kotlin" ||
            { rm -rf "$classes"; log "kotlinc failed"; echo "walk: 0 passed, 1 failed"; return 1; }
        echo "$want" >"$stamp"
        log "walk compiled in $((SECONDS - start)) s"
    fi
    local log_file="$SCREENS_OUT/walk.log" status=0 run=$SECONDS
    log "the walk (real screens, view-models, library $WALK_LIB_DIR, server $WALK_SERVER_BIN)"
    (cd "$REPO" && RUST_BACKTRACE=0 PERLINSOS_SERVER_BIN="$WALK_SERVER_BIN" "${NICE[@]}" java -Djava.awt.headless=true \
        -Djna.library.path="$WALK_LIB_DIR" -Dwalk.fixtures="$REPO/bindings/kotlin-tests/fixtures" \
        -Dwalk.photos="$REPO/core/data/photos" \
        -Dwalk.models="$REPO/core/models" \
        -cp "$classes:$HERE/src/main/resources:$(classpath):$JNA_JAR" \
        org.junit.platform.console.ConsoleLauncher --disable-banner --disable-ansi-colors \
        --details=tree --select-package=id.perlinsos.screens.walk --reports-dir="$SCREENS_OUT/walk-report") \
        >"$log_file" 2>&1 || status=$?
    cat "$log_file"
    log "walk ran in $((SECONDS - run)) s"
    local passed failed
    passed=$(grep -o '[0-9]* tests successful' "$log_file" | grep -o '^[0-9]*' || echo 0)
    failed=$(grep -o '[0-9]* tests failed' "$log_file" | grep -o '^[0-9]*' || echo 0)
    [ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
    echo "walk: $passed passed, $failed failed"
    return "$status"
}

case "${1:-all}" in
    deps) cmd_deps ;;
    compile) cmd_compile ;;
    gallery) cmd_gallery "${2:-}" ;;
    goldens) cmd_goldens ;;
    walk) start=$SECONDS; status=0; cmd_walk || status=$?; log "build-screens.sh walk: $((SECONDS - start)) s"; exit $status ;;
    test | all) start=$SECONDS; status=0; cmd_test "${2:-}" || status=$?; log "build-screens.sh all: $((SECONDS - start)) s"; exit $status ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
