#!/bin/sh
# tests/errors/catalogue.sh - the error paths of the graft command under
# valgrind: bad data files, bad survey and analysis files, bad options,
# outputs that cannot or must not be written.  Each command is expected to
# fail (or, for a few, to succeed); what this checks is that valgrind
# reports no invalid access and no leak on the way out, and that the
# message is one line of plain text.  Run by `make memcheck` (slow: every
# command runs under valgrind), from the top of the source tree.
#
# usage: tests/errors/catalogue.sh [GRAFT]   (default build/release/graft)
set -u
G=${1:-build/release/graft}
VG="valgrind -q --error-exitcode=99 --leak-check=full"
D=tests/data/cli
tmp=$(mktemp -d /tmp/graft_catalogue_XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM HUP
n=0
bad=0

# run ARGS...: graft ARGS under valgrind; a valgrind report, a message
# that is not printable text, or an exit code that is no documented one
# counts as a failure.
run() {
    n=$((n + 1))
    $VG "$G" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    case $rc in
    0 | 1 | 64 | 65 | 66 | 70 | 71 | 74) ;;
    *)
        bad=$((bad + 1))
        echo "FAIL (exit $rc): graft $*"
        sed 's/^/    /' "$tmp/err"
        return
        ;;
    esac
    if LC_ALL=C grep -q '[^[:print:][:space:]]' "$tmp/err" &&
        ! iconv -f UTF-8 -t UTF-8 "$tmp/err" >/dev/null 2>&1; then
        bad=$((bad + 1))
        echo "FAIL (message is not text): graft $*"
        od -c "$tmp/err" | head -5 | sed 's/^/    /'
    fi
}

# ---- every data file of the CLI tests, every bad survey file ----------
for f in $D/*; do
    run describe "$f" --weight w
    run estimate "$f" --weight w --strata s --psu p --prop "p == 1" --by s
done
for f in tests/data/csv/* tests/data/stat/*; do
    run describe "$f" --weight 1
done
for f in tests/data/survey/*.ini; do
    run describe --survey "$f"
    run estimate --survey "$f" --prop "x == 1"
    run estimate $D/good.csv --weight w --analysis "$f"
done
for f in tests/data/charts/*; do
    run plot "$f" --kind bar -o "$tmp/c.png"
    run plot "$f" --kind dumbbell -o "$tmp/c.svg"
done

# ---- bad options ------------------------------------------------------
run
run frobnicate
run estimate
run estimate --bogus
run estimate $D/good.csv
run estimate $D/good.csv --weight w
run estimate $D/good.csv --weight nope --prop p
run estimate $D/good.csv --weight w --prop "p =="
run estimate $D/good.csv --weight w --prop "nope == 1"
run estimate $D/good.csv --weight w --mean "p +"
run estimate $D/good.csv --weight w --prop p --ci nope
run estimate $D/good.csv --weight w --prop p --level 2
run estimate $D/good.csv --weight w --prop p --df nope
run estimate $D/good.csv --weight w --prop p --min-n x
run estimate $D/good.csv --weight w --prop p --format nope
run estimate $D/good.csv --weight w --prop p --by nope
run estimate $D/good.csv --weight w --prop p --lonely-psu nope
run estimate $D/good.csv --weight w --prop p --delim x
run estimate $D/good.csv --weight w --prop p --missing x
run estimate $D/good.csv --weight w --prop p --analysis /nonexistent.ini
run estimate $D/good.csv --weight w --psu p --strata s --prop p
run estimate $D/rep_good.csv --weight w --repweights "repw[" --prop y
run estimate $D/rep_good.csv --weight w --repweights "repw[0-9]+" --reptype nope --prop y
run estimate $D/rep_good.csv --weight w --repweights "repw[0-9]+" --reptype other --rscales 1,x --prop y
run estimate /nonexistent.csv --weight w --prop p
run describe $D/good.csv --weight w --format md
run compare $D/cmp_a.csv --weight w --prop p
run compare $D/cmp_a.csv $D/cmp_b.csv $D/good.csv --weight w --prop p
run compare $D/cmp_a.csv /nonexistent.csv --weight w --prop p
run compare $D/cmp_a.csv $D/cmp_b.csv --weight w --prop p --adjust nope
run compare $D/cmp_a.csv $D/cmp_b.csv --weight w --prop p --test-df nope
run trend $D/cmp_a.csv --weight w --prop p
run replicate $D/good.csv --weight w
run replicate $D/good.csv --weight w --type nope -o "$tmp/r.csv"
run replicate $D/good.csv --weight w --type jk1 -o "$tmp/r.ini"
run replicate $D/good.csv --weight w --type jk1
run replicate $D/good.csv --weight w --type fay -o "$tmp/r.csv"
run replicate $D/good.csv --weight w --type bootstrap --replicates 0 -o "$tmp/r.csv"
run replicate $D/good.csv --weight w --type jk1 --prefix "a-b" -o "$tmp/r.csv"
run replicate $D/good.csv --weight w --type jk1 --only-weights --id nope -o "$tmp/r.csv"
run plot
run plot /nonexistent.csv --kind bar -o "$tmp/c.png"
run plot tests/data/charts/estimates.csv -o "$tmp/c.png"
run plot tests/data/charts/estimates.csv --kind nope -o "$tmp/c.png"
run plot tests/data/charts/estimates.csv --kind bar -o "$tmp/c.txt"
run plot tests/data/charts/estimates.csv --kind bar --size 1x1 -o "$tmp/c.png"
run simulate --round 3
run simulate --seed x
run run /nonexistent.ini
run run tests/data/survey/bad_syntax.ini

# ---- outputs that cannot or must not be written -------------------------
mkdir "$tmp/dir"
cp $D/good.csv "$tmp/in.csv"
ln -s "$tmp/in.csv" "$tmp/link.csv"
ln -s "$tmp/none/x.csv" "$tmp/dangling.csv"
printf '[indicator.mine]\ntype = prop\nexpr = p == 1\n' >"$tmp/r.ini"
run estimate $D/good.csv --weight w --prop p -o /nonexistent/dir/x.csv
run estimate $D/good.csv --weight w --prop p -o "$tmp/dir"
run estimate "$tmp/in.csv" --weight w --prop p -o "$tmp/in.csv"
run estimate "$tmp/in.csv" --weight w --prop p -o "$tmp/link.csv"
run estimate "$tmp/in.csv" --weight w --prop p -o "$tmp/dir/../in.csv"
run estimate $D/good.csv --weight w --prop p -o "$tmp/dangling.csv"
run describe "$tmp/in.csv" --weight w -o "$tmp/in.csv"
run describe "$tmp/in.csv" --weight w -o "$tmp/dir"
run compare "$tmp/in.csv" $D/good.csv --weight w --prop p -o "$tmp/in.csv"
run trend "$tmp/in.csv" $D/good.csv $D/good.csv --weight w --prop p -o "$tmp/link.csv"
run estimate "$tmp/in.csv" --weight w --analysis "$tmp/r.ini" -o "$tmp/r.ini"
run replicate $D/good.csv --weight w --type jk1 -o "$tmp/r.csv"
run replicate "$tmp/in.csv" --weight w --type jk1 -o "$tmp/in.csv"
run replicate $D/good.csv --weight w --type jk1 -o /nonexistent/dir/r.csv
run simulate -o "$tmp/dir"
run simulate -o /nonexistent/dir/s.csv
run plot tests/data/charts/estimates.csv --kind bar -o "$tmp/dir/../dir"
run plot tests/data/charts/estimates.csv --kind bar -o /nonexistent/c.png
cp tests/data/charts/estimates.csv "$tmp/chart.dat"
run plot "$tmp/chart.dat" --kind bar -o "$tmp/chart.png"
export GRAFT_GNUPLOT=/nonexistent/gnuplot
run plot tests/data/charts/estimates.csv --kind bar -o "$tmp/c.png"
unset GRAFT_GNUPLOT

echo "tests/errors/catalogue.sh: $n commands under valgrind, $bad failed"
[ "$bad" -eq 0 ]
