#!/bin/sh
# tests/symbols.sh LIB [INCLUDE] - the library's symbol contract, checked
# on the archive (libgraft.a) or on the shared library (libgraft.so.*):
# every global symbol it defines, or for the shared library every symbol
# its dynamic symbol table exports, starts with graft_ (the public prefix,
# include/graft.h), and it calls no getenv() or secure_getenv() (the
# library reads no environment; the command line passes GRAFT_THREADS and
# GRAFT_GNUPLOT in option structs).  The shared library exports exactly
# the functions and data of the archive beside it (libgraft.a) that the
# public headers under INCLUDE (default include) name: the rest stays
# local (the Makefile's version script, $(BUILD)/libgraft.map).
lib=${1:-build/release/libgraft.a}
inc=${2:-include}
[ -f "$lib" ] || { echo "symbols.sh: $lib not found"; exit 1; }
case $lib in
*.so | *.so.*) nm_defined="nm -D --defined-only"; nm_undef="nm -D -u"
               what="exports dynamic symbols" ;;
*)             nm_defined="nm -g --defined-only"; nm_undef="nm -u"
               what="defines global symbols" ;;
esac
status=0
bad=$($nm_defined "$lib" | awk 'NF == 3 && $3 !~ /^graft_/ { print $3 }' | sort -u)
if [ -n "$bad" ]; then
    echo "symbols.sh: $lib $what without the graft_ prefix:"
    echo "$bad" | sed 's/^/  /'
    status=1
fi
exported=$($nm_defined "$lib" | awk 'NF == 3 && $3 ~ /^graft_/' | wc -l)
case $lib in
*.a) archive= ;;
*)
    archive=$(dirname "$lib")/libgraft.a
    [ -f "$archive" ] && [ -f "$inc/graft.h" ] || {
        echo "symbols.sh: $archive or $inc/graft.h not found"
        exit 1
    }
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    grep -ohE '\<graft_[a-z0-9_]+\>' "$inc/graft.h" "$inc"/graft/*.h |
        LC_ALL=C sort -u > "$tmp/public"
    nm -g --defined-only "$archive" | awk 'NF == 3 { print $3 }' |
        LC_ALL=C sort -u | LC_ALL=C comm -12 - "$tmp/public" > "$tmp/want"
    $nm_defined "$lib" | awk 'NF == 3 { print $3 }' | LC_ALL=C sort -u > "$tmp/got"
    if ! cmp -s "$tmp/want" "$tmp/got"; then
        echo "symbols.sh: $lib exports other symbols than the public ones of $archive"
        echo "  (< public in $inc and defined in $archive, not exported; > exported, not public):"
        LC_ALL=C diff "$tmp/want" "$tmp/got" | grep '^[<>]' | sed 's/^/  /'
        status=1
    fi
    ;;
esac
if [ "$exported" -eq 0 ]; then
    echo "symbols.sh: $lib $what: none at all"
    status=1
fi
env=$($nm_undef "$lib" | awk '{ sub(/@.*/, "", $NF) }
    $NF == "getenv" || $NF == "secure_getenv" { print $NF }' | sort -u)
if [ -n "$env" ]; then
    echo "symbols.sh: $lib reads the environment (calls $(echo $env)):"
    $nm_undef -A "$lib" | awk '{ s = $NF; sub(/@.*/, "", s) }
        s == "getenv" || s == "secure_getenv"' | sed 's/^/  /'
    status=1
fi
[ $status -eq 0 ] &&
    echo "symbols.sh: $lib: $exported graft_* symbols and no other${archive:+ (the public ones)}, no getenv"
exit $status
