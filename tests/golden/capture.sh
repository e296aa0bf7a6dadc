#!/usr/bin/env bash
# Capture the outputs of many graft commands into DIR, so that a refactor
# can be checked to change no byte:
#     tests/golden/capture.sh /tmp/before     # on the old revision
#     tests/golden/capture.sh /tmp/after      # on the new one
#     diff -r /tmp/before /tmp/after
# Each command's stdout, stderr and exit code are kept (stdout.N, err.N,
# rc.N), with every file it wrote.  Commands on the Afrobarometer files are
# skipped, with a line saying so, when ../shared/ is absent.
set -u
out=${1:?usage: tests/golden/capture.sh DIR}
G=${GRAFT:-./graft}
rm -rf "$out"; mkdir -p "$out"
n=0
run() { # run ARGS...: one command, its output kept under $out
    n=$((n + 1))
    printf '%s\n' "$*" >> "$out/commands"
    "$G" "$@" > "$out/stdout.$n" 2> "$out/err.$n" < /dev/null
    echo $? > "$out/rc.$n"
}
o=$out/files
mkdir -p "$o"
demo1=surveys/demo/round1.ini; demo2=surveys/demo/round2.ini
dsg="surveys/demo/round1.csv --weight weight --strata stratum --psu ea --nest"
for f in text csv json md; do
    run describe $demo1 --format $f
    run estimate --survey $demo1 --analysis analysis/demo.ini --format $f
    run estimate $dsg --lonely-psu adjust --missing 8,9 --prop 'paid_police == 1' \
        --among 'contact_police == 1' --by zone --format $f
    run compare $demo1 $demo2 --analysis analysis/demo.ini --format $f
    run compare $demo1 $demo2 --analysis analysis/demo.ini --format $f --level 0.9 --ci wilson
    run compare $demo1 $demo2 --analysis analysis/demo.ini --format $f --adjust bh --test-df satterthwaite
    run compare tests/data/cli/cmp_qa.ini tests/data/cli/cmp_qb.ini --prop y --by g --format $f
    run trend $demo1 $demo2 $demo1 --analysis analysis/demo.ini --format $f
    run trend $demo1 $demo2 --analysis analysis/demo.ini --format $f --level 0.9
done
for ci in wald beta kg-nchs wilson jeffreys asin xlogit; do
    run estimate --survey $demo2 --analysis analysis/demo.ini --ci $ci --level 0.9 --format csv
done
for lp in remove certainty adjust average; do
    run estimate $dsg --lonely-psu $lp --prop 'paid_police == 1' --by zone,sex --format csv
done
run estimate $dsg --mean amount --among "paid_police == 1" --total "paid_police == 1" --by zone --format csv
run estimate --survey $demo1 --analysis analysis/demo.ini -o "$o/est1.json"
run estimate --survey $demo1 --analysis analysis/demo.ini -o "$o/est1.md"
run describe $demo2 --format json -o "$o/desc2.json"
for t in jk1 jkn brr "fay --rho 0.3" "bootstrap --replicates 30 --seed 7"; do
    run replicate $demo1 --type $t -o "$o/rep_${t%% *}.csv"
    t=${t%% *}
    run estimate "$o/rep_$t.ini" --analysis analysis/demo.ini --format csv
    run describe "$o/rep_$t.ini" --format csv
done
run compare "$o/rep_jkn.ini" "$o/rep_jkn.ini" --analysis analysis/demo.ini --format csv
run simulate --seed 11 -o "$o/sim.csv"
run run analysis/demo.ini -o "$o/demo"
for k in bar heatmap; do
    run plot "$o/demo/estimates.csv" --kind $k --indicator police --by zone -o "$o/plot_$k.svg"
done
run plot "$o/demo/comparisons.csv" --kind dumbbell --indicator police --by zone -o "$o/plot_dumbbell.svg"
run plot "$o/demo/trend.csv" --kind trend --indicator police --by zone -o "$o/plot_trend.svg"
run plot "$o/demo/estimates.csv" --kind bar --indicator police --by zone -o "$o/plot_bar.png"
# bad input: messages and exit codes
for f in tests/data/cli/*.csv; do
    run estimate "$f" --weight w --strata s --psu p --prop "w > 2" --format csv
done
for f in tests/data/survey/*.ini; do run describe "$f"; done
shared=../shared/data/afrobarometer
if [ -d "$shared" ]; then
    run describe $shared/tun_r7_data.sav --weight withinwt --strata REGION,URBRUR
    run estimate $shared/tun_r7_data.sav --weight withinwt --strata REGION,URBRUR \
        --prop 'any(Q49C in 1..3, Q49G in 1..3, Q49K in 1..3, Q49N in 1..3, Q49R in 1..3, Q49T in 1..3)' \
        --among 'any(Q49C in 0..3, Q49G in 0..3, Q49K in 0..3, Q49N in 0..3, Q49R in 0..3, Q49T in 0..3)' \
        --by REGION --format csv
    for f in text csv json md; do
        run estimate surveys/tun_r8.ini --analysis analysis/tunisia.ini --format $f
        run compare surveys/tun_r8.ini surveys/tun_r9.ini --analysis analysis/tunisia.ini --format $f
        run trend surveys/tun_r7.ini surveys/tun_r8.ini surveys/tun_r9.ini --analysis analysis/tunisia.ini --format $f
    done
    run run analysis/tunisia.ini -o "$o/tunisia"
else
    echo "capture: ../shared/data/afrobarometer absent: Tunisia commands skipped" >&2
fi
# paths of the output folder appear in messages: make them relative
grep -rlF "$out" "$out" 2>/dev/null | while read -r f; do sed -i "s#$out#OUT#g" "$f"; done
echo "capture: $n commands, outputs in $out"
