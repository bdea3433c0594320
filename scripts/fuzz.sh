#!/usr/bin/env bash
# Long fuzz runs of the config loader, `lint` and the token-response parser (docs/fuzzing.md).
#
#   scripts/fuzz.sh SECONDS [mutator|libfuzzer] [SEED]
#
# mutator   (default) the seeded mutator of the in-test run (Tests/FuzzTests), built in release as
#           `tokentop-fuzz`; stops at the first crash or broken promise, exit 1, input saved.
# libfuzzer the same checks as a libFuzzer target (`swift build --sanitize fuzzer`, coverage
#           guided), seeded with the built-in seeds and the hostile corpus; a crash is saved by
#           libFuzzer as crash-<sha1> in the output folder.
# Output and crash inputs: .build/fuzz-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: scripts/fuzz.sh SECONDS [mutator|libfuzzer] [SEED]}
engine=${2:-mutator}
seed=${3:-$(date +%s)}
out=.build/fuzz-out
mkdir -p "$out"

swift build -c release --product tokentop-fuzz
case "$engine" in
mutator)
    set +e
    .build/release/tokentop-fuzz --seconds "$secs" --seed "$seed" --corpus Tests/HostileConfigTests/Corpus \
        --crash-dir "$out/crashes" 2>&1 | tee "$out/mutator-seed$seed.log"
    status=${PIPESTATUS[0]}
    # The crash file is opened up front; an empty one means nothing crashed.
    find "$out/crashes" -type f -empty -delete 2>/dev/null || true
    exit "$status"
    ;;
libfuzzer)
    # A separate scratch path: the instrumented build must not replace the plain release build.
    swift build -c release --product tokentop-fuzz --sanitize fuzzer -Xswiftc -DLIBFUZZER --scratch-path .build/libfuzzer
    corpus="$out/libfuzzer-corpus"
    set +e
    mkdir -p "$corpus"
    .build/release/tokentop-fuzz --write-seeds "$corpus" || exit 1
    # The entry's first byte picks the target: 0 = config (with lint), 1 = token answer.
    for f in Tests/HostileConfigTests/Corpus/*; do
        { printf '\0'; cat "$f"; } > "$corpus/hostile-$(basename "$f")"
    done
    # libFuzzer must see the crash signal itself to save the input: the Swift runtime's own
    # backtracer would catch it first.
    SWIFT_BACKTRACE=enable=no .build/libfuzzer/release/tokentop-fuzz -max_total_time="$secs" -seed="$seed" -max_len=65536 -timeout=10 \
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$out/" "$corpus" 2>&1 | tee "$out/libfuzzer-seed$seed.log"
    exit "${PIPESTATUS[0]}"
    ;;
*)
    echo "usage: scripts/fuzz.sh SECONDS [mutator|libfuzzer] [SEED]" >&2
    exit 2
    ;;
esac
