#!/usr/bin/env bash
# ./build.sh arm [armv7]: the bindings library for 64-bit ARM (and, when asked, 32-bit ARM),
# cross-built with Debian's rustc-web, the core's unit tests run under qemu-user, and
# bench/ARM-REPORT.md written with the stripped size, what makes it up, test counts and times.
#
# Why not rustup: it cannot add targets on these machines; Debian's rustc-web ships an arm64
# std (see "Toolchain notes" in DESIGN.md). armv7 has no packaged std, so it builds std from
# rust-web-src with -Zbuild-std: slower, hence opt-in (argument `armv7` or ARM_ARMV7=1).
#
# Environment: PERLINSOS_ARM_TARGET_DIR (default ~/.cache/perlinsos/target-aarch64),
# PERLINSOS_ARMV7_TARGET_DIR (default ~/.cache/perlinsos/target-armv7),
# PERLINSOS_ARM_REPORT (default bench/ARM-REPORT.md), PERLINSOS_BUILD_LOCK.
set -euo pipefail
cd "$(dirname "$0")/.."

ARMV7="${ARM_ARMV7:-0}"
for arg in "$@"; do
    case "$arg" in
        armv7) ARMV7=1 ;;
        *) echo "usage: ./build.sh arm [armv7]" >&2; exit 2 ;;
    esac
done

# build.sh exports CARGO_TARGET_DIR for the host toolchain: a second toolchain must never share
# it, or each would rebuild the other's artifacts.
AARCH64_DIR="${PERLINSOS_ARM_TARGET_DIR:-$HOME/.cache/perlinsos/target-aarch64}"
ARMV7_DIR="${PERLINSOS_ARMV7_TARGET_DIR:-$HOME/.cache/perlinsos/target-armv7}"
REPORT="${PERLINSOS_ARM_REPORT:-$PWD/bench/ARM-REPORT.md}"
LOCK="${PERLINSOS_BUILD_LOCK:-/tmp/perlinsos-build.lock}"
CARGO=/usr/bin/cargo
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TERM_COLOR=never RUST_BACKTRACE=0

log() { printf '== %s\n' "$*" >&2; }

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_install() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}"
}

need_aarch64() {
    # arm64 only: adding armhf as a foreign architecture breaks apt-get update here.
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        log "dpkg --add-architecture arm64"
        $SUDO dpkg --add-architecture arm64
    fi
    # Arch-qualified: dpkg -s cannot tell which one is meant once both are installed.
    local std="libstd-rust-web-dev"
    apt_install rustc-web cargo-web "$std:$(dpkg --print-architecture)" "$std:arm64" \
        gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user cmake
}

need_armv7() {
    apt_install rust-web-src gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf \
        libc6-dev-armhf-cross qemu-user cmake
}

# One build at a time on these 2-core machines: everyone takes the same lock around cargo.
# Durations are taken once the lock is held, so waiting for someone else's build is not
# counted as ours.
exec 9>>"$LOCK"
ELAPSED=0
locked() {
    flock 9
    local start status
    start=$(date +%s)
    "$@" 9>&- && status=0 || status=$?
    ELAPSED=$(( $(date +%s) - start ))
    flock -u 9
    return "$status"
}

# cc-rs reads CC_<triple>/AR_<triple>; the cmake crate then sets CMAKE_SYSTEM_NAME and
# CMAKE_SYSTEM_PROCESSOR itself when target != host, so libjpeg-turbo cross-builds (with its
# NEON code) without a toolchain file.
cross_env() {
    local triple="$1" prefix="$2" runner="$3"
    local var; var=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    local under=${triple//-/_}
    export "CARGO_TARGET_${var}_LINKER=$prefix-gcc"
    export "CARGO_TARGET_${var}_RUNNER=$runner"
    export "CC_${under}=$prefix-gcc" "CXX_${under}=$prefix-g++" "AR_${under}=$prefix-ar"
}

# "test result: ok. N passed; M failed; ..." summed over a log.
count() { awk -v f="$2" '/^test result:/ { n += $f } END { print n + 0 }' "$1"; }

LOGDIR=$(mktemp -d /tmp/perlinsos-arm.XXXXXX)
FAILED=0
declare -A R  # results per target, read by write_report

# build_target KEY TRIPLE PREFIX TARGET_DIR [extra cargo args...]
build_target() {
    local key="$1" triple="$2" prefix="$3" dir="$4"; shift 4
    local extra=("$@")
    export CARGO_TARGET_DIR="$dir"

    for pkg in perlinsos-rules perlinsos-protocol perlinsos-core perlinsos-ffi; do
        log "$key: cargo test -p $pkg --lib under qemu"
        local out="$LOGDIR/$key-$pkg-test.log"
        locked "$CARGO" test --locked "${extra[@]}" -p "$pkg" --lib --target "$triple" \
            >"$out" 2>&1 && R[$key.$pkg.status]=ok || { R[$key.$pkg.status]=FAILED; FAILED=1; }
        R[$key.$pkg.time]=$ELAPSED
        R[$key.$pkg.passed]=$(count "$out" 4)
        R[$key.$pkg.failed]=$(count "$out" 6)
        R[$key.$pkg.run]=$(awk '/^test result:/ { sub(/s$/, "", $NF); t += $NF } END { printf "%.0f", t }' "$out")
        grep -E '^test result:|FAILED|panicked' "$out" >&2 || tail -20 "$out" >&2
        cp "$out" "$dir/"
    done

    # One unstripped release build serves both the size breakdown (and uniffi-bindgen, which
    # reads the symbol table) and the shipped file: strip --strip-all gives the same bytes
    # count as the profile's strip = true (checked: 8150272 both on aarch64).
    log "$key: cargo build --release -p perlinsos-ffi --lib"
    local out="$LOGDIR/$key-release.log"
    # Segments aligned to 16 KiB pages, as the NDK (r27 and later) links for Android 15's
    # 16 KB page devices; GNU ld's aarch64 default of 64 KiB padded the file up to 64 KiB more.
    local flags_var
    flags_var="CARGO_TARGET_$(echo "$triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
    locked env CARGO_PROFILE_RELEASE_STRIP=false \
        "$flags_var=-C link-arg=-Wl,-z,max-page-size=16384 -C link-arg=-Wl,-z,common-page-size=16384" \
        "$CARGO" build --locked "${extra[@]}" --release \
        -p perlinsos-ffi --lib --target "$triple" >"$out" 2>&1 ||
        { tail -40 "$out" >&2; log "$key: release build failed"; exit 1; }
    R[$key.release.time]=$ELAPSED
    local dist="$dir/dist"
    mkdir -p "$dist"
    cp "$dir/$triple/release/libperlinsos_ffi.so" "$dist/libperlinsos_ffi.unstripped.so"
    "$prefix-strip" --strip-all -o "$dist/libperlinsos_ffi.so" "$dist/libperlinsos_ffi.unstripped.so"
    R[$key.size]=$(stat -c %s "$dist/libperlinsos_ffi.so")
    R[$key.dist]=$dist
    R[$key.sections]=$("$prefix-size" -A "$dist/libperlinsos_ffi.so" |
        awk '$1 ~ /^\./ && $2 >= 50000 { printf "| `%s` | %d |\n", $1, $2 }' | sort -t'|' -k3 -rn)
    R[$key.breakdown]=$(breakdown "$prefix" "$dir/$triple/release/build" \
        "$dist/libperlinsos_ffi.unstripped.so")
}

# Sizes of the symbols in the unstripped library, by where they came from: C code by the
# static archive that defines the symbol (libjpeg-turbo, SQLite, ring's C and assembly), Rust
# by the crate in the demangled path. Generic code counts for the crate that defines it, which
# is where one would cut it. Prints "bytes<TAB>component<TAB>crates".
breakdown() {
    local prefix="$1" build="$2" lib="$3"
    newest() { ls -t $1 2>/dev/null | head -1; }
    {
        local spec comp file
        for spec in "libjpeg-turbo (C)=$build/turbojpeg-sys-*/out/lib/libturbojpeg.a" \
            "SQLite (C)=$build/libsqlite3-sys-*/out/libsqlite3.a" \
            "ring (C, asm)=$build/ring-*/out/libring_core_*_.a"; do
            comp=${spec%%=*}; file=$(newest "${spec#*=}")
            [ -n "$file" ] && "$prefix-nm" --defined-only "$file" 2>/dev/null |
                awk -v c="$comp" 'NF == 3 { print "C\t" c "\t" $3 }'
        done
        "$prefix-nm" -S -C -t d "$lib" |
            awk 'NF >= 4 { n = $4; for (i = 5; i <= NF; i++) n = n " " $i; print "S\t" $2 + 0 "\t" n }'
    } | awk -F'\t' '
    $1 == "C" { if (!($3 in archive)) archive[$3] = $2; next }
    {
        size = $2; name = $3
        if (name in archive) { comp = archive[name]; crate = comp }
        else { crate = crate_of(name); comp = group(crate) }
        total[comp] += size; all += size
        per[comp, crate] += size; crates[comp] = crates[comp] SUBSEP crate
    }
    function crate_of(s,   t) {
        if (s ~ /^(UNIFFI_META_|uniffi_perlinsos_ffi_|ffi_perlinsos_ffi_)/) return "perlinsos_ffi"
        if (s ~ /^(rust_eh_personality|__rust|rust_panic)/) return "std"
        # <Type as crate::Trait>::f: the type'\''s crate, or the trait'\''s for a primitive.
        t = s
        while (t ~ /^(<|&|\*const |\*mut |mut |dyn |\[|\()/) sub(/^(<|&|\*const |\*mut |mut |dyn |\[|\()/, "", t)
        if (match(t, /^[a-z_][a-z0-9_]*::/)) return substr(t, 1, RLENGTH - 2)
        if (match(s, / as [a-z_][a-z0-9_]*::/)) return substr(s, RSTART + 4, RLENGTH - 6)
        if (s ~ /^<(str|char|bool|[iuf](8|16|32|64|128|size)|\[)/) return "core"
        return "(other)"
    }
    function group(c) {
        if (c ~ /^(std|core|alloc|gimli|addr2line|object|rustc_demangle|std_detect|hashbrown|libc|memchr|adler2|panic_unwind|unwind)$/) return "Rust std (+ backtrace symbolizer)"
        if (c ~ /^(rusqlite|libsqlite3_sys|hashlink|fallible_iterator|fallible_streaming_iterator)$/) return "SQLite (Rust side)"
        if (c ~ /^(turbojpeg|turbojpeg_sys)$/) return "libjpeg-turbo (Rust side)"
        if (c == "fast_image_resize") return "fast_image_resize"
        if (c ~ /^(png|fdeflate|miniz_oxide|flate2|crc32fast|exif|simd_adler32)$/) return "PNG, EXIF, deflate, CRC"
        if (c ~ /^(ring|untrusted|zeroize)$/) return "ring (Rust side)"
        if (c ~ /^(rustls|rustls_pki_types|webpki|webpki_roots|tokio_rustls|hyper_rustls)$/) return "rustls + webpki"
        if (c ~ /^(reqwest|hyper|hyper_util|http|http_body|http_body_util|httparse|h2|tower|tower_http|tower_layer|tower_service|url|idna|form_urlencoded|percent_encoding|ipnet|socket2|futures_util|futures_core|futures_channel|futures_task|bytes|want|sync_wrapper|base64|serde_urlencoded|tracing|tracing_core|pin_project_lite|atomic_waker|try_lock|utf8_iter|smallvec|displaydoc)$/ || c ~ /^(icu_|zerovec|yoke|tinystr|litemap|writeable|zerofrom|potential_utf)/) return "reqwest, hyper, http, url/idna"
        if (c ~ /^(tokio|mio)$/) return "tokio"
        if (c ~ /^(serde|serde_core|serde_json|zmij|itoa|ryu)$/) return "serde, serde_json"
        if (c ~ /^(csv|csv_core)$/) return "csv"
        if (c ~ /^(uniffi|uniffi_core|anyhow|once_cell|static_assertions)$/) return "uniffi runtime"
        if (c ~ /^perlinsos_/) return c
        return "other crates"
    }
    END {
        for (g in total) {
            n = split(crates[g], list, SUBSEP); delete seen; detail = ""
            # The crates inside a group, largest first (a small insertion sort: few per group).
            m = 0
            for (i = 2; i <= n; i++) if (!(list[i] in seen)) { seen[list[i]] = 1; m++; order[m] = list[i] }
            for (i = 2; i <= m; i++) { k = order[i]; j = i - 1; while (j >= 1 && per[g, order[j]] < per[g, k]) { order[j + 1] = order[j]; j-- } order[j + 1] = k }
            for (i = 1; i <= m && i <= 6; i++) if (order[i] != g) detail = detail (detail == "" ? "" : ", ") order[i] " " int(per[g, order[i]] / 1024) " KiB"
            printf "%d\t%s\t%s\n", total[g], g, detail
        }
        printf "%d\t(all symbols)\t\n", all
    }' | sort -rn
}

mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }

write_report() {
    local a=aarch64
    {
        echo "# ARM build report"
        echo
        echo "Written by \`./build.sh arm$([ "$ARMV7" = 1 ] && echo ' armv7')\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores."
        echo "Toolchain: $($RUSTC -V) and $($CARGO -V), Debian's rustc-web; C by"
        echo "$(aarch64-linux-gnu-gcc --version | head -1); tests run by $(qemu-aarch64 --version | head -1)."
        echo
        echo "## Library size"
        echo
        echo "Stripped release \`libperlinsos_ffi.so\` (profile.release: opt-level s, LTO, one codegen"
        echo "unit; opt-level z for perlinsos-rules and perlinsos-core, 3 for fast_image_resize and libjpeg-turbo)."
        echo
        echo "| target | bytes | MiB | floor 6 MiB | goal 4 MiB |"
        echo "|---|---:|---:|---|---|"
        local s=${R[$a.size]}
        echo "| aarch64 (arm64-v8a) | $s | $(mib "$s") | $([ "$s" -le 6291456 ] && echo met || echo "over by $(mib $((s - 6291456))) MiB") | $([ "$s" -le 4194304 ] && echo met || echo "over by $(mib $((s - 4194304))) MiB") |"
        if [ -n "${R[armv7.size]:-}" ]; then
            s=${R[armv7.size]}
            echo "| armv7 (armeabi-v7a) | $s | $(mib "$s") | — | — |"
        fi
        echo
        echo "Anchors: Mozilla application-services megazord 6.5 MB on arm64; libsignal 8.1 MiB on arm64."
        echo
        echo "## Tests under qemu-user"
        echo
        echo "| target | crate | passed | failed | tests' run time | build + run |"
        echo "|---|---|---:|---:|---:|---:|"
        local key pkg
        for key in aarch64 armv7; do
            [ -n "${R[$key.perlinsos-core.time]:-}" ] || continue
            for pkg in perlinsos-rules perlinsos-protocol perlinsos-core perlinsos-ffi; do
                echo "| $key | $pkg --lib | ${R[$key.$pkg.passed]} | ${R[$key.$pkg.failed]} | ${R[$key.$pkg.run]} s | ${R[$key.$pkg.time]} s |"
            done
        done
        echo
        echo "## Durations"
        echo
        echo "| target | release build of the library |"
        echo "|---|---:|"
        for key in aarch64 armv7; do
            [ -n "${R[$key.release.time]:-}" ] && echo "| $key | ${R[$key.release.time]} s |"
        done
        echo
        echo "Durations include compiling whatever the target directory did not hold yet (a cold aarch64"
        echo "test build of every dependency took about 5 minutes here) and exclude waiting for the build"
        echo "lock."
        echo
        echo "## What is in the size (aarch64)"
        echo
        echo "Symbol sizes in the unstripped release build (\`aarch64-linux-gnu-nm -S\`), by origin: C"
        echo "code by the static archive defining the symbol, Rust by the crate in its demangled path"
        echo "(after LTO, inlined code counts for the function it was inlined into)."
        echo
        echo "| component | bytes | KiB | largest crates inside |"
        echo "|---|---:|---:|---|"
        local bytes comp detail all=0
        while IFS=$'\t' read -r bytes comp detail; do
            if [ "$comp" = "(all symbols)" ]; then all=$bytes; continue; fi
            echo "| $comp | $bytes | $((bytes / 1024)) | $detail |"
        done <<<"${R[$a.breakdown]}"
        echo "| **all symbols** | $all | $((all / 1024)) | |"
        echo
        echo "fast_image_resize by module: its NEON kernels are instantiated once per fixed-point"
        echo "precision (\`constify_imm8!\`), and \`Resizer::resize\` picks the pixel type at run time, so"
        echo "every pixel type's kernels are linked whichever ones the core resizes."
        echo
        echo "| module | bytes | KiB |"
        echo "|---|---:|---:|"
        aarch64-linux-gnu-nm -S -C -t d "${R[$a.dist]}/libperlinsos_ffi.unstripped.so" |
            awk '{ n = $4; for (i = 5; i <= NF; i++) n = n " " $i
                   sub(/^<(impl )?/, "", n)
                   if (match(n, /^fast_image_resize::[a-z0-9_]+(::[a-z0-9_]+)?/)) t[substr(n, 20, RLENGTH - 19)] += $2 }
                 END { for (k in t) if (t[k] >= 20480) printf "| %s | %d | %d |\n", k, t[k], t[k] / 1024 }' |
            sort -t'|' -k3 -rn
        echo
        local blob
        blob=$(ls -t "$AARCH64_DIR"/aarch64-unknown-linux-gnu/release/build/perlinsos-rules-*/out/wilayah.bin | head -1)
        echo "The rest of the stripped file, $(( ${R[$a.size]} - all )) bytes, has no symbol: unwind tables"
        echo "(\`.eh_frame\`, \`.gcc_except_table\`: panics unwind into Kotlin exceptions), relocations,"
        echo "anonymous constants (string literals, the $(stat -c %s "$blob")-byte region-code blob) and ELF"
        echo "structure. Sections of 50 kB or more in the stripped file:"
        echo
        echo "| section | bytes |"
        echo "|---|---:|"
        echo "${R[$a.sections]}"
        echo
        echo "Largest single symbols:"
        echo
        echo '```'
        aarch64-linux-gnu-nm -S -C -t d --size-sort "${R[$a.dist]}/libperlinsos_ffi.unstripped.so" |
            tail -12 | awk '{ n = $4; for (i = 5; i <= NF; i++) n = n " " $i; printf "%8d %s %s\n", $2, $3, substr(n, 1, 110) }' | sort -rn
        echo '```'
        echo
        cat bench/arm-size-notes.md
    } >"$REPORT"
}

need_aarch64
cross_env aarch64-unknown-linux-gnu aarch64-linux-gnu qemu-aarch64
# Plain qemu-aarch64: the arm64 glibc from libc6:arm64 is where the binaries look for it.
# With -L /usr/aarch64-linux-gnu two glibc builds mix and the first thread spins forever.
build_target aarch64 aarch64-unknown-linux-gnu aarch64-linux-gnu "$AARCH64_DIR"

if [ "$ARMV7" = 1 ]; then
    need_armv7
    # The armhf cross glibc is not installed as a foreign architecture (that breaks apt), so
    # qemu-arm is told where it is.
    cross_env armv7-unknown-linux-gnueabihf arm-linux-gnueabihf \
        "qemu-arm -L /usr/arm-linux-gnueabihf"
    # No packaged std for armv7: build it from rust-web-src (RUSTC_BOOTSTRAP unlocks -Z).
    export RUSTC_BOOTSTRAP=1
    build_target armv7 armv7-unknown-linux-gnueabihf arm-linux-gnueabihf \
        "$ARMV7_DIR" -Zbuild-std
fi

write_report
rm -rf "$LOGDIR"

summary="arm: aarch64 libperlinsos_ffi.so ${R[aarch64.size]} bytes ($(mib "${R[aarch64.size]}") MiB)"
summary="$summary; rules+core tests $(( ${R[aarch64.perlinsos-rules.passed]:-0} + ${R[aarch64.perlinsos-core.passed]:-0} )) passed, $(( ${R[aarch64.perlinsos-rules.failed]:-0} + ${R[aarch64.perlinsos-core.failed]:-0} )) failed under qemu"
if [ "$ARMV7" = 1 ]; then
    summary="$summary; armv7 ${R[armv7.size]} bytes ($(mib "${R[armv7.size]}") MiB), core tests"
    summary="$summary ${R[armv7.perlinsos-core.passed]} passed, ${R[armv7.perlinsos-core.failed]} failed"
fi
log "report in $REPORT"
echo "$summary"
exit "$FAILED"
