#!/bin/sh
# tests/install/run.sh [BUILD] - `make install` and `make uninstall` into
# temporary folders, and the installed library used as a program would:
#   - every file in its place (the shared library's symlinks relative, as
#     many headers as include/graft/, a man page per man/*.1 and man/*.5);
#   - bin/graft --version prints the library's graft_version(), and each
#     installed man page renders without a warning (man --warnings);
#   - tests/install/example.c built with `pkg-config --cflags --libs graft`
#     (PKG_CONFIG_PATH on the installed graft.pc) needs libgraft.so.MAJOR,
#     and prints the estimates bin/graft estimate prints (1e-12 relative);
#     built again on libgraft.a with `pkg-config --static --libs graft`, it
#     needs no libgraft.so and prints the same text;
#   - make install builds nothing (`make` did);
#   - with DESTDIR, graft.pc names PREFIX and not the staging folder;
#   - make uninstall leaves no file behind, and a file it did not install
#     where it was.
# Run from the repository root by `make check` (MAKE: the make to use).
set -u
BUILD=${1:-build/release}
MAKE=${MAKE:-make}
tmp=$(mktemp -d /tmp/graft_install_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
    echo "install/run.sh: FAIL: $*"
    fails=$((fails + 1))
}
say() { echo "install/run.sh: $*"; }

part() { sed -n "s/^#define GRAFT_VERSION_$1 \([0-9]*\).*/\1/p" include/graft/version.h; }
MAJOR=$(part MAJOR)
V=$MAJOR.$(part MINOR).$(part PATCH)

# install PREFIX [DESTDIR]: make install, its log in $tmp/install.log
install_into() {
    $MAKE --no-print-directory install BUILD="$BUILD" PREFIX="$1" \
        ${2:+DESTDIR="$2"} > "$tmp/install.log" 2>&1 || {
        cat "$tmp/install.log"
        fail "make install PREFIX=$1 ${2:+DESTDIR=$2} failed"
        exit 1
    }
    if grep -E -e ' -c -o |-shared ' "$tmp/install.log"; then
        fail "make install compiled or linked (make builds, install copies)"
    fi
}

# files DIR: the files and symlinks under DIR, relative, sorted
files() { (cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort); }

# ---- make install PREFIX=stage -------------------------------------------
stage=$tmp/stage
install_into "$stage"
say "make install PREFIX=$stage: $(files "$stage" | wc -l) files"
{
    echo bin/graft
    for h in include/graft.h include/graft/*.h; do echo "$h"; done
    echo lib/libgraft.a
    echo lib/libgraft.so
    echo "lib/libgraft.so.$MAJOR"
    echo "lib/libgraft.so.$V"
    echo lib/pkgconfig/graft.pc
    echo share/bash-completion/completions/graft
    for m in man/*.1; do [ -f "$m" ] && echo "share/man/man1/${m#man/}"; done
    for m in man/*.5; do [ -f "$m" ] && echo "share/man/man5/${m#man/}"; done
} | LC_ALL=C sort > "$tmp/want"
files "$stage" > "$tmp/got"
cmp -s "$tmp/want" "$tmp/got" ||
    fail "installed files differ from the list (< wanted, > installed):
$(diff "$tmp/want" "$tmp/got" | grep '^[<>]')"
[ "$(readlink "$stage/lib/libgraft.so")" = "libgraft.so.$MAJOR" ] &&
    [ "$(readlink "$stage/lib/libgraft.so.$MAJOR")" = "libgraft.so.$V" ] ||
    fail "lib/libgraft.so -> libgraft.so.$MAJOR -> libgraft.so.$V: not so"
readelf -d "$stage/lib/libgraft.so.$V" | grep -q "SONAME.*\[libgraft.so.$MAJOR\]" ||
    fail "libgraft.so.$V: soname is not libgraft.so.$MAJOR"
sh tests/symbols.sh "$stage/lib/libgraft.so.$V" "$stage/include" > "$tmp/symbols.log" ||
    fail "$(cat "$tmp/symbols.log")"
cmp -s src/cli/graft.bash-completion "$stage/share/bash-completion/completions/graft" ||
    fail "the installed bash completion differs from src/cli/graft.bash-completion"

# ---- the version ----------------------------------------------------------
export PKG_CONFIG_PATH="$stage/lib/pkgconfig"
cat > "$tmp/version.c" <<'EOF'
#include <graft.h>
#include <stdio.h>
int main(void) { printf("graft %s\n", graft_version()); return 0; }
EOF
# shellcheck disable=SC2046
cc -o "$tmp/version" "$tmp/version.c" $(pkg-config --cflags --libs graft) ||
    fail "cc version.c \$(pkg-config --cflags --libs graft) failed"
got=$("$stage/bin/graft" --version)
lib=$(LD_LIBRARY_PATH="$stage/lib" "$tmp/version")
if [ "$got" = "$lib" ] && [ "$got" = "graft $V" ]; then
    say "bin/graft --version: $got (graft_version() of lib/libgraft.so.$MAJOR: $lib)"
else
    fail "bin/graft --version prints '$got', graft_version() '$lib', version.h $V"
fi
[ "$(pkg-config --modversion graft)" = "$V" ] ||
    fail "pkg-config --modversion graft: $(pkg-config --modversion graft), not $V"

# ---- man pages --------------------------------------------------------------
pages=$(find "$stage/share/man" -type f 2>/dev/null | LC_ALL=C sort)
if [ -z "$pages" ]; then
    say "SKIP man --warnings: man/ has no pages (man/*.1, man/*.5)"
elif ! command -v man > /dev/null 2>&1; then
    say "SKIP man --warnings: no man command (Debian: man-db)"
else
    n=0
    for p in $pages; do
        warn=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 > /dev/null)
        [ -z "$warn" ] || fail "man --warnings -l ${p#"$stage"/}:
$warn"
        n=$((n + 1))
    done
    say "man --warnings -l: $n installed pages"
fi

# ---- a program on the shared library ------------------------------------
survey=surveys/demo/round1.ini
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror -o "$tmp/example" tests/install/example.c \
    $(pkg-config --cflags --libs graft) ||
    fail "cc example.c \$(pkg-config --cflags --libs graft) failed"
readelf -d "$tmp/example" | grep -q "NEEDED.*\[libgraft.so.$MAJOR\]" ||
    fail "example does not need libgraft.so.$MAJOR: $(readelf -d "$tmp/example" | grep NEEDED)"
LD_LIBRARY_PATH="$stage/lib" "$tmp/example" "$survey" > "$tmp/example.csv" ||
    fail "example $survey failed"
"$stage/bin/graft" estimate --survey "$survey" --prop paid_police \
    --among contact_police --by zone --format csv > "$tmp/graft.csv" ||
    fail "bin/graft estimate failed"
# the example's zone,estimate,se,ci_low,ci_high,n against graft's columns
# zone (2), estimate to ci_high (3-6) and n (10)
agree=$(awk -F, 'NR == FNR { if (FNR > 1) lib[FNR] = $0; next }
    FNR > 1 {
        rows++
        split(lib[FNR], e, ",")
        if (e[1] != $2 || e[6] != $10) { print "row " FNR ": " lib[FNR] " vs " $0; next }
        for (i = 2; i <= 5; i++) {
            d = e[i] - $(i + 1); if (d < 0) d = -d
            m = $(i + 1); if (m < 0) m = -m
            if (d > 1e-12 * m) print "row " FNR ": " lib[FNR] " vs " $0
        }
    }
    END { if (rows < 2 || rows != length(lib)) print rows " rows, the example " length(lib) }' \
    "$tmp/example.csv" "$tmp/graft.csv")
if [ -z "$agree" ]; then
    say "example.c on lib/libgraft.so.$MAJOR: $(($(wc -l < "$tmp/example.csv") - 1)) rows, as bin/graft estimate (1e-12)"
else
    fail "the example and graft estimate disagree:
$agree"
fi

# ---- and on the static library ------------------------------------------
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/example_static" tests/install/example.c \
    $(pkg-config --cflags graft) -Wl,--as-needed "$stage/lib/libgraft.a" \
    $(pkg-config --static --libs graft) ||
    fail "cc example.c libgraft.a \$(pkg-config --static --libs graft) failed"
if readelf -d "$tmp/example_static" | grep -q 'NEEDED.*libgraft'; then
    fail "example_static needs libgraft.so"
fi
"$tmp/example_static" "$survey" > "$tmp/example_static.csv" ||
    fail "example_static $survey failed"
if cmp -s "$tmp/example.csv" "$tmp/example_static.csv"; then
    say "example.c on lib/libgraft.a (pkg-config --static): the same output"
else
    fail "example on libgraft.a prints other numbers than on libgraft.so"
fi

# ---- make uninstall --------------------------------------------------------
mkdir -p "$stage/share/man/man1"
echo other > "$stage/lib/pkgconfig/other.pc"
echo other > "$stage/share/man/man1/other.1"
$MAKE --no-print-directory uninstall BUILD="$BUILD" PREFIX="$stage" \
    > "$tmp/uninstall.log" 2>&1 || fail "make uninstall failed: $(cat "$tmp/uninstall.log")"
left=$(files "$stage" | tr '\n' ' ')
if [ "$left" = "lib/pkgconfig/other.pc share/man/man1/other.1 " ]; then
    say "make uninstall: no file left but the two it did not install"
else
    fail "make uninstall left '$left', want 'lib/pkgconfig/other.pc share/man/man1/other.1 '"
fi

# ---- DESTDIR ------------------------------------------------------------------
dest=$tmp/dest
install_into /opt/graft "$dest"
grep -qx 'prefix=/opt/graft' "$dest/opt/graft/lib/pkgconfig/graft.pc" ||
    fail "DESTDIR: graft.pc does not say prefix=/opt/graft"
if grep -q "$dest" "$dest/opt/graft/lib/pkgconfig/graft.pc"; then
    fail "DESTDIR: graft.pc names the staging folder"
fi
[ "$("$dest/opt/graft/bin/graft" --version)" = "graft $V" ] ||
    fail "DESTDIR: bin/graft --version"
[ "$(files "$dest/opt/graft")" = "$(cat "$tmp/want")" ] ||
    fail "DESTDIR: other files than with PREFIX alone"
$MAKE --no-print-directory uninstall BUILD="$BUILD" PREFIX=/opt/graft \
    DESTDIR="$dest" > "$tmp/uninstall.log" 2>&1 || fail "make uninstall DESTDIR failed"
[ -z "$(files "$dest")" ] || fail "DESTDIR: make uninstall left $(files "$dest")"
say "make install DESTDIR=... PREFIX=/opt/graft and make uninstall: the same files, then none"

if [ $fails -ne 0 ]; then
    echo "install/run.sh: $fails checks failed"
    exit 1
fi
say "install, pkg-config (shared and static), uninstall: all passed"
