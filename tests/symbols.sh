#!/bin/sh
# tests/symbols.sh LIB - the library's symbol contract, checked on the
# archive itself: every global symbol it defines starts with graft_ (the
# public prefix, include/graft.h), and it calls no getenv() or
# secure_getenv() (the library reads no environment; the command line
# passes GRAFT_THREADS and GRAFT_GNUPLOT in option structs).
lib=${1:-build/release/libgraft.a}
[ -f "$lib" ] || { echo "symbols.sh: $lib not found"; exit 1; }
status=0
bad=$(nm -g --defined-only "$lib" | awk 'NF == 3 && $3 !~ /^graft_/ { print $3 }' | sort -u)
if [ -n "$bad" ]; then
    echo "symbols.sh: $lib defines global symbols without the graft_ prefix:"
    echo "$bad" | sed 's/^/  /'
    status=1
fi
env=$(nm -u "$lib" | awk '$2 == "getenv" || $2 == "secure_getenv" { print $2 }' | sort -u)
if [ -n "$env" ]; then
    echo "symbols.sh: $lib reads the environment (calls $(echo $env)):"
    nm -A -u "$lib" | awk '$3 == "getenv" || $3 == "secure_getenv"' | sed 's/^/  /'
    status=1
fi
[ $status -eq 0 ] && echo "symbols.sh: $lib: every global symbol is graft_*, no getenv"
exit $status
