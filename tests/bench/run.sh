#!/usr/bin/env bash
# graft's benchmark (`make bench`; README.md beside this file).
#
#   tests/bench/run.sh        from anywhere, after `make` has built ./graft
#
# Generates the benchmark files with `graft simulate` (seeded, cached under
# bench/data/, keyed by their parameters), builds the helpers of this folder
# into bench/bin/, times graft, the parse floors and (when Rscript and its
# survey package are installed) R, prints a table and appends it to
# bench/results.txt.
#
# Environment (defaults in brackets):
#   BENCH_RUNS [5]       runs of each 1M case and floor (median wall time)
#   BENCH_RUNS_10M [3]   runs of each 10M case and floor
#   BENCH_EA_1M [8120]   --ea-per-stratum of the 1M file (8120: 1,000,459 rows)
#   BENCH_EA_10M [81200] --ea-per-stratum of the 10M file (10x the PSUs)
#   BENCH_SKIP_10M=1     skip both 10M cases
#   BENCH_SKIP_R=1       skip R
#   CC [cc]              compiler for the helpers
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

RUNS=${BENCH_RUNS:-5}
RUNS_10M=${BENCH_RUNS_10M:-3}
EA_1M=${BENCH_EA_1M:-8120}
EA_10M=${BENCH_EA_10M:-81200}
SEED=2024
REPS=80
CC=${CC:-cc}

SRC=tests/bench
DATA=bench/data
BIN=bench/bin
TMP=bench/tmp
RESULTS=bench/results.txt
ANALYSIS=$SRC/bench.ini
# The design of the simulator's survey (tests/bench/README.md): the same
# flags for every linearization case.
DESIGN=(--weight weight --strata stratum --psu ea --nest --lonely-psu adjust --missing 8,9)

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[ -x ./graft ] || die "./graft is missing (or not executable): run 'make' first (or 'make bench', which builds it)"
./graft --help >/dev/null 2>&1 || die "./graft does not run: rebuild it with 'make'"
command -v "$CC" >/dev/null 2>&1 || die "no C compiler '$CC' for the helpers (set CC, or run 'make deps')"
mkdir -p "$DATA" "$BIN" "$TMP"

# ---- helpers --------------------------------------------------------------
# helper NAME LIBS...: bench/bin/NAME from tests/bench/NAME.c, rebuilt when
# the source is newer.
helper() {
    local name=$1; shift
    if [ ! -x "$BIN/$name" ] || [ "$SRC/$name.c" -nt "$BIN/$name" ]; then
        note "building $BIN/$name"
        "$CC" -std=c11 -O2 -Wall -Wextra -o "$BIN/$name.tmp" "$SRC/$name.c" "$@" ||
            die "cannot build $BIN/$name (are libcsv-dev and libreadstat-dev installed? 'make deps')"
        mv -f "$BIN/$name.tmp" "$BIN/$name"
    fi
}
helper timeit
helper floor_csv -lcsv
helper floor_sav -lreadstat
helper csv2sav -lcsv -lreadstat

# ---- data (cached) --------------------------------------------------------
# Each file is made once per set of parameters; the makers write atomically
# (graft's -o, csv2sav's .tmp and rename), so an interrupted run leaves no
# half file behind.  rm -rf bench/data to regenerate (e.g. after the
# simulator changed).
secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

simulate() { # simulate EA -> prints the path
    local ea=$1 f="$DATA/sim_r1_s${SEED}_ea$1.csv" t
    if [ ! -s "$f" ]; then
        note "generating $f (graft simulate --ea-per-stratum $ea) ..."
        t=$(secs)
        ./graft simulate --round 1 --seed "$SEED" --ea-per-stratum "$ea" -o "$f" ||
            die "graft simulate failed"
        note "  done in $(elapsed "$t") s"
    fi
    echo "$f"
}

# 10M rows with the same strata and PSUs as the 1M file, two ways:
#   rows10: each data row 10 times in a row (still grouped by PSU), the
#           test of memory flat in rows;
#   cat10:  the whole 1M file 10 times (a PSU's rows in 10 places: a file
#           not grouped by PSU).
times10() { # times10 rows10|cat10 IN.csv -> prints the path
    local how=$1 in=$2 f="${2%.csv}_$1.csv" t i
    if [ ! -s "$f" ] || [ "$in" -nt "$f" ]; then
        note "generating $f (the rows of $in, 10 times: $how) ..."
        t=$(secs)
        if [ "$how" = rows10 ]; then
            awk 'NR == 1 { print; next } { for (i = 0; i < 10; i++) print }' "$in" > "$f.tmp"
        else
            {
                head -n 1 "$in"
                for i in 1 2 3 4 5 6 7 8 9 10; do tail -n +2 "$in"; done
            } > "$f.tmp"
        fi
        mv -f "$f.tmp" "$f"
        note "  done in $(elapsed "$t") s"
    fi
    echo "$f"
}

to_sav() { # to_sav IN.csv -> prints the path
    local in=$1 f="${1%.csv}.sav" t
    if [ ! -s "$f" ] || [ "$in" -nt "$f" ]; then
        note "generating $f (csv2sav: all columns, bytecode-compressed) ..."
        t=$(secs)
        "$BIN/csv2sav" "$in" "$f" >/dev/null || die "csv2sav failed"
        note "  done in $(elapsed "$t") s"
    fi
    echo "$f"
}

replicate() { # replicate IN.csv -> prints the survey file (.ini) beside the data
    local in=$1 f="${1%.csv}_boot${REPS}_seed1.csv" t
    if [ ! -s "$f" ] || [ ! -s "${f%.csv}.ini" ] || [ "$in" -nt "$f" ]; then
        note "generating $f (graft replicate --type bootstrap --replicates $REPS) ..."
        t=$(secs)
        ./graft replicate "$in" --weight weight --strata stratum --psu ea --nest \
            --lonely-psu adjust --type bootstrap --replicates "$REPS" --seed 1 -o "$f" ||
            die "graft replicate failed"
        note "  done in $(elapsed "$t") s"
    fi
    echo "${f%.csv}.ini"
}

# design_of FILE.csv: "PSUS STRATA" from graft describe, cached beside it
design_of() {
    local f=$1 c="${1%.csv}.design"
    if [ ! -s "$c" ] || [ "$f" -nt "$c" ]; then
        ./graft describe "$f" --weight weight --strata stratum --psu ea --nest \
            --format csv -o "$TMP/describe.csv" || die "graft describe $f failed"
        awk -F, '$1 == "design" && $3 == "psus" { p = $5 }
                 $1 == "design" && $3 == "strata" { s = $5 }
                 END { print p, s }' "$TMP/describe.csv" > "$c.tmp"
        mv -f "$c.tmp" "$c"
    fi
    cat "$c"
}

csv_1m=$(simulate "$EA_1M")
sav_1m=$(to_sav "$csv_1m")
rep_1m=$(replicate "$csv_1m")
rep_csv_1m="${rep_1m%.ini}.csv"
if [ "${BENCH_SKIP_10M:-0}" != 1 ]; then
    csv_10m=$(simulate "$EA_10M")
    csv_rows10=$(times10 rows10 "$csv_1m")
    csv_cat10=$(times10 cat10 "$csv_1m")
fi

# ---- measuring ------------------------------------------------------------
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
                              else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# measure CMD...: runs CMD once under timeit.  Sets WALL and CPU (wall and
# CPU seconds), KB (peak RSS, kB), STDOUT (its standard output) and SUM
# (the sha256 of the file $CHECK afterwards, when CHECK is set).
measure() {
    local w k rc c
    if ! "$BIN/timeit" -o "$TMP/time" --stdout "$TMP/stdout" -- "$@" 2> "$TMP/stderr"; then
        cat "$TMP/stderr" >&2
        die "failed: $*"
    fi
    read -r w k rc c < "$TMP/time"
    WALL=$w CPU=$c KB=$k
    STDOUT=$(cat "$TMP/stdout")
    SUM=""
    if [ -n "${CHECK:-}" ]; then
        SUM=$(sha256sum < "$CHECK" | cut -c1-64)
    fi
}

# Table rows: name, rows, wall, cpu, peak kB, floor wall (or -), R wall (or -)
T_NAME=() T_ROWS=() T_WALL=() T_CPU=() T_KB=() T_FLOOR=() T_R=()
row() {
    T_NAME+=("$1") T_ROWS+=("$2") T_WALL+=("$3") T_CPU+=("$4") T_KB+=("$5")
    T_FLOOR+=("$6") T_R+=("$7")
}
NOTES=()
say() { NOTES+=("$*"); note "$*"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || a == "-" || b <= 0) print "-";
    else { r = a / b; printf(r >= 100 ? "%.0f" : r >= 10 ? "%.1f" : "%.2f", r) } }'; }

# run_case LABEL RUNS FLOOR DATA OUT ESTIMATE-ARGS...: times the parse floor
# (bench/bin/FLOOR DATA) and `graft estimate ESTIMATE-ARGS -o OUT` in turn,
# RUNS times each; adds the graft row and the floor row unless DEFER=1.
# Sets ROWS, G_* (graft) and F_* (floor): WALL, CPU, KB (medians; KB the
# largest).
# same_as A.csv B.csv: "identical", or the largest relative difference
# between their numeric fields (row by row, field by field)
same_as() {
    if cmp -s "$1" "$2"; then echo identical; return; fi
    awk -F, 'NR == FNR { a[FNR] = $0; next }
        { if (!(FNR in a)) { bad = 1; exit }
          n = split(a[FNR], x, ","); if (n != NF) { bad = 1; exit }
          for (i = 1; i <= NF; i++) {
              if (x[i] == $i) continue
              if (x[i] !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/ || $i !~ /^-?[0-9.]+([eE][-+]?[0-9]+)?$/) { bad = 1; exit }
              d = x[i] - $i; if (d < 0) d = -d; m = x[i] < 0 ? -x[i] : x[i]
              if (m > 0 && d / m > r) r = d / m } }
        END { if (bad || FNR != length(a)) print "different (not only in the last digits)";
              else printf "equal up to a relative difference of %.1e\n", r }' "$1" "$2"
}

NONDET=()
run_case() {
    local label=$1 runs=$2 floor=$3 data=$4 out=$5 i rows
    local fw=() fc=() gw=() gc=() gs=() fkb=0 gkb=0
    shift 5
    # Floor and graft take turns, so that both see the machine as it is
    # (a shared machine's speed drifts over a minute).
    note "$label: parse floor ($floor) and graft estimate, $runs turns"
    for ((i = 1; i <= runs; i++)); do
        CHECK="" measure "$BIN/$floor" "$data"
        rows=${STDOUT%% *} fw+=("$WALL") fc+=("$CPU")
        if [ "$KB" -gt "$fkb" ]; then fkb=$KB; fi
        CHECK=$out measure ./graft estimate "$@" -o "$out"
        gw+=("$WALL") gc+=("$CPU") gs+=("$SUM")
        if [ "$KB" -gt "$gkb" ]; then gkb=$KB; fi
    done
    ROWS=$rows
    F_WALL=$(printf '%s\n' "${fw[@]}" | median)
    F_CPU=$(printf '%s\n' "${fc[@]}" | median) F_KB=$fkb
    G_WALL=$(printf '%s\n' "${gw[@]}" | median)
    G_CPU=$(printf '%s\n' "${gc[@]}" | median) G_KB=$gkb
    G_SUMS=$(printf '%s\n' "${gs[@]}" | sort -u) G_WALLS="${gw[*]}"
    if [ "$(printf '%s\n' "$G_SUMS" | grep -c .)" != 1 ]; then
        NONDET+=("$label")
    fi
    if [ "${DEFER:-0}" != 1 ]; then
        row "graft $label" "$ROWS" "$G_WALL" "$G_CPU" "$G_KB" "$F_WALL" "-"
        row "floor $label" "$ROWS" "$F_WALL" "$F_CPU" "$F_KB" "$F_WALL" "-"
    fi
}

t_start=$(secs)
read -r psus_1m strata_1m <<< "$(design_of "$csv_1m")"

# csv 1M, linearization, and R -------------------------------------------------
out=bench/out_csv_1m.csv
DEFER=1 run_case "csv 1M" "$RUNS" floor_csv "$csv_1m" "$out" "$csv_1m" "${DESIGN[@]}" --analysis "$ANALYSIS"
rows_1m=$ROWS gkb_1m=$G_KB sums_1m=$G_SUMS walls_1m=$G_WALLS
g1=("$ROWS" "$G_WALL" "$G_CPU" "$G_KB") f1=("$ROWS" "$F_WALL" "$F_CPU" "$F_KB")

r_wall="-"
if [ "${BENCH_SKIP_R:-0}" = 1 ]; then
    say "R: skipped (BENCH_SKIP_R=1)"
elif ! command -v Rscript >/dev/null 2>&1; then
    say "R: skipped (no Rscript; apt-get install r-base-core r-cran-survey to compare)"
elif ! Rscript -e 'quit(status = !requireNamespace("survey", quietly = TRUE))' >/dev/null 2>&1; then
    say "R: skipped (R's survey package is not installed; apt-get install r-cran-survey)"
else
    note "csv 1M: R survey, one run (about a minute) ..."
    CHECK="" measure Rscript "$SRC/r_bench.R" "$csv_1m" bench/out_r_1m.csv
    r_wall=$WALL r_cpu=$CPU r_kb=$KB
    say "$STDOUT"
    # graft against R, the 63 estimates and intervals
    cmp=$(awk -F, '
        NR == FNR { gsub(/"/, ""); if (FNR > 1) r[$1 "," $2] = $3 " " $4 " " $5; next }
        FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { k = $c["indicator"] "," $c["zone"]
          if (!(k in r)) { miss++; next }
          split(r[k], a, " "); n++
          d = $c["estimate"] - a[1]; if (d < 0) d = -d; if (d > de) de = d
          d = $c["ci_low"] - a[2]; if (d < 0) d = -d; if (d > dc) dc = d
          d = $c["ci_high"] - a[3]; if (d < 0) d = -d; if (d > dc) dc = d }
        END { printf "%d estimates matched (%d not in R), max |diff| estimate %.1e, CI bounds %.1e",
                     n, miss, de, dc }' bench/out_r_1m.csv "$out")
    say "graft vs R at 1M: $cmp"
fi
row "graft csv 1M" "${g1[@]}" "${f1[1]}" "$r_wall"
row "floor csv 1M (libcsv)" "${f1[@]}" "${f1[1]}" "-"
if [ "$r_wall" != - ]; then
    row "R survey csv 1M (1 run)" "$rows_1m" "$r_wall" "$r_cpu" "$r_kb" "${f1[1]}" "-"
fi

if [ "$(printf '%s\n' "$sums_1m" | grep -c .)" = 1 ]; then
    say "csv 1M output identical over $RUNS runs (sha256 ${sums_1m:0:16})"
    # the previous bench run's sum on the same data file
    prev=""
    if [ -s bench/out_csv_1m.sha256 ]; then
        read -r prev prev_data < bench/out_csv_1m.sha256 || true
        [ "$prev_data" = "$csv_1m" ] || prev=""
    fi
    if [ -z "$prev" ]; then
        :
    elif [ "$prev" = "$sums_1m" ]; then
        say "csv 1M output identical to the previous bench run's"
    else
        say "csv 1M output differs from the previous bench run's (${prev:0:16}): graft's numbers changed"
    fi
    printf '%s %s\n' "$sums_1m" "$csv_1m" > bench/out_csv_1m.sha256
fi

# csv 10M, linearization -------------------------------------------------------
if [ "${BENCH_SKIP_10M:-0}" != 1 ]; then
    run_case "csv 10M sim" "$RUNS_10M" floor_csv "$csv_10m" bench/out_csv_10m.csv \
        "$csv_10m" "${DESIGN[@]}" --analysis "$ANALYSIS"
    kb_sim=$G_KB
    read -r psus_10m _ <<< "$(design_of "$csv_10m")"
    run_case "csv 10M rows x10" "$RUNS_10M" floor_csv "$csv_rows10" bench/out_csv_10m_rows10.csv \
        "$csv_rows10" "${DESIGN[@]}" --analysis "$ANALYSIS"
    kb_rows10=$G_KB
    run_case "csv 10M cat x10" "$RUNS_10M" floor_csv "$csv_cat10" bench/out_csv_10m_cat10.csv \
        "$csv_cat10" "${DESIGN[@]}" --analysis "$ANALYSIS"
    kb_cat10=$G_KB
    say "10M sim: the simulator with 10x the EAs ($psus_10m PSUs); rows x10: each 1M row 10 times" \
        "in a row (the 1M file's $psus_1m PSUs, grouped by PSU); cat x10: the 1M file 10 times" \
        "(the same PSUs, not grouped by PSU)"
    say "peak RSS, 10M / 1M: rows x10 $(ratio "$kb_rows10" "$gkb_1m"), cat x10 $(ratio "$kb_cat10" "$gkb_1m")," \
        "10M sim $(ratio "$kb_sim" "$gkb_1m")"
    say "rows x10 and cat x10 outputs (the same rows in another order):" \
        "$(same_as bench/out_csv_10m_rows10.csv bench/out_csv_10m_cat10.csv)"
fi

# sav 1M ---------------------------------------------------------------------
run_case "sav 1M" "$RUNS" floor_sav "$sav_1m" bench/out_sav_1m.csv \
    "$sav_1m" "${DESIGN[@]}" --analysis "$ANALYSIS"
say "sav 1M and csv 1M outputs: $(same_as bench/out_sav_1m.csv bench/out_csv_1m.csv)"

# replicate weights, 1M x 80 ---------------------------------------------------
run_case "csv 1M rep$REPS" "$RUNS" floor_csv "$rep_csv_1m" bench/out_rep${REPS}_1m.csv \
    "$rep_1m" --missing 8,9 --analysis "$ANALYSIS"

if [ "${#NONDET[@]}" -eq 0 ]; then
    say "every graft case gave the same output on every run"
else
    say "WARNING: output differs between runs: ${NONDET[*]}"
fi
total=$(elapsed "$t_start")

# ---- report -----------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)
{
    echo "== graft bench, $(date '+%Y-%m-%d %H:%M:%S %z'), graft $rev"
    echo "   $(uname -m), $(nproc) CPUs, ${cpu:-unknown CPU}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "   9 proportions by zone (tests/bench/bench.ini), logit CIs; 1M: $psus_1m PSUs in $strata_1m strata"
    echo
    printf '%-26s %10s %8s %7s %8s %8s %6s\n' case rows wall_s cpu_s peak_MB x_floor x_R
    for i in "${!T_NAME[@]}"; do
        printf '%-26s %10s %8.2f %7.2f %8.1f %8s %6s\n' "${T_NAME[$i]}" "${T_ROWS[$i]}" \
            "${T_WALL[$i]}" "${T_CPU[$i]}" "$(awk -v k="${T_KB[$i]}" 'BEGIN { print k / 1024 }')" \
            "$(ratio "${T_WALL[$i]}" "${T_FLOOR[$i]}")" "$(ratio "${T_R[$i]}" "${T_WALL[$i]}")"
    done
    echo
    echo "wall_s: median of $RUNS runs ($RUNS_10M for 10M), graft and its floor taking turns (R: one run,"
    echo "the whole Rscript timed from outside);"
    echo "cpu_s: median user + system seconds (all threads); peak_MB: the largest ru_maxrss over the runs;"
    echo "x_floor: wall_s / the parse floor's wall_s on the same file; x_R: R's wall_s / wall_s (times faster"
    echo "than R).  graft csv 1M runs: $walls_1m s"
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo "measured in $total s"
    echo
} > "$TMP/report"
cat "$TMP/report"
cat "$TMP/report" >> "$RESULTS"
echo "bench: appended to $RESULTS; graft outputs in bench/out_*.csv"
