#!/usr/bin/env bash
# graft's benchmark (`make bench`; README.md beside this file).
#
#   tests/bench/run.sh        from anywhere, after `make` has built ./graft
#
# Generates the benchmark files with `graft simulate` (seeded, cached under
# bench/data/, keyed by their parameters) and, from them, the files users
# have (R's write.csv, quoted; the same shuffled; haven's .dta, .sav and
# .sas7bdat: make_files.R, when Rscript and haven are installed), builds the
# helpers of this folder into bench/bin/, times graft, the parse floors,
# `graft run` on two 1M-row rounds and (when Rscript and its survey package
# are installed) R, prints a table with the targets met or not, and appends
# it to bench/results.txt.
#
# Environment (defaults in brackets):
#   BENCH_RUNS [5]       runs of each 1M case and floor (median wall time)
#   BENCH_RUNS_10M [3]   runs of each 10M case and floor
#   BENCH_EA_1M [8120]   --ea-per-stratum of the 1M file (8120: 1,000,459 rows)
#   BENCH_EA_10M [81200] --ea-per-stratum of the 10M file (10x the PSUs)
#   BENCH_SKIP_10M=1     skip both 10M cases
#   BENCH_SKIP_R=1       skip R's timings (R still makes the users' files
#                        that are not cached yet)
#   BENCH_SKIP_USERS=1   skip the users' files (quoted, shuffled, .dta,
#                        haven's .sav, .sas7bdat) and R on the quoted file
#   BENCH_SKIP_RUN=1     skip `graft run` on the two 1M-row rounds
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
# say: a note that also goes under the table
NOTES=()
say() { NOTES+=("$*"); note "$*"; }

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
helper floor_stat -lreadstat
helper csv2sav -lcsv -lreadstat

# ---- data (cached) --------------------------------------------------------
# Each file is made once per set of parameters; the makers write atomically
# (graft's -o, csv2sav's and make_files.R's .tmp and rename), so an
# interrupted run leaves no half file behind.  A derived file is made again
# when its source is newer.  rm -rf bench/data to regenerate (e.g. after
# the simulator changed).
secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

simulate() { # simulate EA [ROUND] -> prints the path
    local ea=$1 round=${2:-1} t
    local f="$DATA/sim_r${round}_s${SEED}_ea$ea.csv"
    if [ ! -s "$f" ]; then
        note "generating $f (graft simulate --round $round --ea-per-stratum $ea) ..."
        t=$(secs)
        ./graft simulate --round "$round" --seed "$SEED" --ea-per-stratum "$ea" -o "$f" ||
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

# stale FILE FROM: true when FILE is missing, empty or older than FROM
stale() { [ ! -s "$1" ] || [ "$2" -nt "$1" ]; }

# R_WHY / HAVEN_WHY: why R (its survey package) / haven cannot be used, or
# empty when they can.
R_WHY="" HAVEN_WHY="" SURVEY_WHY=""
if ! command -v Rscript >/dev/null 2>&1; then
    R_WHY="no Rscript; apt-get install r-base-core r-cran-haven r-cran-survey"
    HAVEN_WHY=$R_WHY SURVEY_WHY=$R_WHY
else
    Rscript -e 'quit(status = !requireNamespace("haven", quietly = TRUE))' >/dev/null 2>&1 ||
        HAVEN_WHY="R's haven package is not installed; apt-get install r-cran-haven"
    Rscript -e 'quit(status = !requireNamespace("survey", quietly = TRUE))' >/dev/null 2>&1 ||
        SURVEY_WHY="R's survey package is not installed; apt-get install r-cran-survey"
fi

# users_files IN.csv: the files users have, made from IN.csv by R
# (make_files.R) in one Rscript run for those not cached yet.  Sets Q_CSV
# (write.csv, quoted), QS_CSV (the same, shuffled), and STAT_FILES (haven's
# .dta, .sav, .sas7bdat); a file that cannot be made (no R, no haven) is
# left out with a note.
users_files() {
    local in=$1 base="${1%.csv}" kind f why label t
    local make=() files=()
    Q_CSV="" QS_CSV="" STAT_FILES=()
    for kind in quoted shuffled dta sav sas7bdat; do
        case $kind in
            quoted) f="${base}_q.csv" why=$R_WHY label="csv quoted 1M" ;;
            shuffled) f="${base}_q_shuf1.csv" why=$R_WHY label="csv shuffled 1M" ;;
            *) f="${base}_haven.$kind" why=$HAVEN_WHY label="$kind 1M haven" ;;
        esac
        if stale "$f" "$in"; then
            if [ -n "$why" ]; then
                say "$label: skipped (R makes its file: $why)"
                continue
            fi
            make+=("$kind=$f")
        fi
        files+=("$kind=$f")
    done
    if [ "${#make[@]}" -gt 0 ]; then
        note "generating with R (make_files.R, about a minute): ${make[*]#*=} ..."
        t=$(secs)
        Rscript "$SRC/make_files.R" "$in" "${make[@]}" >&2 || die "make_files.R failed"
        note "  done in $(elapsed "$t") s"
    fi
    for f in "${files[@]}"; do
        case ${f%%=*} in
            quoted) Q_CSV=${f#*=} ;;
            shuffled) QS_CSV=${f#*=} ;;
            *) STAT_FILES+=("${f#*=}") ;;
        esac
    done
}

# run_surveys R1.csv R2.csv: the survey files tests/bench/run_bench.ini
# names (bench/data/run_round1.ini, run_round2.ini): the demo's
# surveys/demo/roundN.ini (design, missing codes, labels) with data = the
# simulated round.  Written on every bench (they are tiny), atomically.
run_surveys() {
    local r f csv
    for r in 1 2; do
        f=$DATA/run_round$r.ini csv=$1
        [ "$r" = 1 ] || csv=$2
        {
            echo "; written by tests/bench/run.sh from surveys/demo/round$r.ini: the"
            echo "; benchmark's round $r, ${csv##*/}"
            sed -e '/^\[survey\]/,$!d' -e "s#^data = .*#data = ${csv##*/}#" \
                "surveys/demo/round$r.ini"
        } > "$f.tmp"
        grep -q "^data = ${csv##*/}\$" "$f.tmp" || die "surveys/demo/round$r.ini has no 'data = ' line"
        mv -f "$f.tmp" "$f"
    done
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
Q_CSV="" QS_CSV="" STAT_FILES=()
if [ "${BENCH_SKIP_USERS:-0}" = 1 ]; then
    say "users' files (quoted, shuffled, .dta, haven's .sav, .sas7bdat): skipped (BENCH_SKIP_USERS=1)"
else
    users_files "$csv_1m"
fi
csv_r2_1m=""
if [ "${BENCH_SKIP_RUN:-0}" = 1 ]; then
    say "graft run on two 1M-row rounds: skipped (BENCH_SKIP_RUN=1)"
elif ! command -v gnuplot >/dev/null 2>&1; then
    say "graft run on two 1M-row rounds: skipped (no gnuplot for its charts; 'make deps')"
else
    csv_r2_1m=$(simulate "$EA_1M" 2)
    run_surveys "$csv_1m" "$csv_r2_1m"
fi

# ---- measuring ------------------------------------------------------------
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2];
                              else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# measure CMD...: runs CMD once under timeit.  Sets WALL and CPU (wall and
# CPU seconds), KB (peak RSS, kB), STDOUT (its standard output) and SUM
# (the sha256 of $CHECK afterwards when CHECK is set: of the file, or of
# the sorted sums of every file under it when it is a folder).
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
    if [ -d "${CHECK:-}" ]; then
        SUM=$(cd "$CHECK" && find . -type f -print0 | LC_ALL=C sort -z |
              xargs -0 sha256sum | sha256sum | cut -c1-64)
    elif [ -n "${CHECK:-}" ]; then
        SUM=$(sha256sum < "$CHECK" | cut -c1-64)
    fi
}

# Table rows: name, rows, wall, cpu, peak kB, floor wall (or -), R wall (or -)
T_NAME=() T_ROWS=() T_WALL=() T_CPU=() T_KB=() T_FLOOR=() T_R=()
row() {
    T_NAME+=("$1") T_ROWS+=("$2") T_WALL+=("$3") T_CPU+=("$4") T_KB+=("$5")
    T_FLOOR+=("$6") T_R+=("$7")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || a == "-" || b <= 0) print "-";
    else { r = a / b; printf(r >= 100 ? "%.0f" : r >= 10 ? "%.1f" : "%.2f", r) } }'; }
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

# run_case LABEL RUNS FLOOR "DATA..." OUT CMD...: times the parse floor
# (bench/bin/FLOOR on each file of the space-separated DATA, their times
# summed) and CMD, which writes OUT (a file or a folder), in turn, RUNS
# times each.  Sets ROWS (the floor's rows, summed), G_* (graft) and F_*
# (floor): WALL, CPU, KB (medians; KB the largest), G_SUMS (OUT's sums),
# G_WALLS; records LABEL in NONDET when OUT differed between runs.
NONDET=()
run_case() {
    local label=$1 runs=$2 floor=$3 out=$5 i f w c rows
    local data=() fw=() fc=() gw=() gc=() gs=() fkb=0 gkb=0
    read -ra data <<< "$4"
    shift 5
    # Floor and graft take turns, so that both see the machine as it is
    # (a shared machine's speed drifts over a minute).
    note "$label: parse floor ($floor) and graft, $runs turns"
    for ((i = 1; i <= runs; i++)); do
        w=0 c=0 rows=0
        for f in "${data[@]}"; do
            CHECK="" measure "$BIN/$floor" "$f"
            rows=$((rows + ${STDOUT%% *}))
            w=$(awk -v a="$w" -v b="$WALL" 'BEGIN { print a + b }')
            c=$(awk -v a="$c" -v b="$CPU" 'BEGIN { print a + b }')
            if [ "$KB" -gt "$fkb" ]; then fkb=$KB; fi
        done
        fw+=("$w") fc+=("$c")
        CHECK=$out measure "$@"
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
}

# estimate_case LABEL FLOOR DATA OUT: run_case of `graft estimate DATA`
# with the benchmark's design and analysis, BENCH_RUNS turns
estimate_case() {
    run_case "$1" "$RUNS" "$2" "$3" "$4" \
        ./graft estimate "$3" "${DESIGN[@]}" --analysis "$ANALYSIS" -o "$4"
}

# add_rows NAME FLOOR-NAME [R-WALL]: the table's graft row and floor row
# of the last run_case; keeps its x_floor, wall and peak for the targets
declare -A XF=() GWALL=() GKB=()
add_rows() {
    row "graft $1" "$ROWS" "$G_WALL" "$G_CPU" "$G_KB" "$F_WALL" "${3:--}"
    row "floor $2" "$ROWS" "$F_WALL" "$F_CPU" "$F_KB" "$F_WALL" "-"
    XF[$1]=$(awk -v a="$G_WALL" -v b="$F_WALL" 'BEGIN { print a / b }')
    GWALL[$1]=$G_WALL GKB[$1]=$G_KB
}

# vs_r R.csv GRAFT.csv: graft's 63 estimates and intervals against R's
vs_r() {
    awk -F, '
        NR == FNR { gsub(/"/, ""); if (FNR > 1) r[$1 "," $2] = $3 " " $4 " " $5; next }
        FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { k = $c["indicator"] "," $c["zone"]
          if (!(k in r)) { miss++; next }
          split(r[k], a, " "); n++
          d = $c["estimate"] - a[1]; if (d < 0) d = -d; if (d > de) de = d
          d = $c["ci_low"] - a[2]; if (d < 0) d = -d; if (d > dc) dc = d
          d = $c["ci_high"] - a[3]; if (d < 0) d = -d; if (d > dc) dc = d }
        END { printf "%d estimates matched (%d not in R), max |diff| estimate %.1e, CI bounds %.1e",
                     n, miss, de, dc }' "$1" "$2"
}

# r_case LABEL DATA R-OUT GRAFT-OUT: R's survey package once on DATA
# (r_bench.R), unless skipped.  Sets R_WALL ("-" when skipped), R_CPU,
# R_KB; notes R's own breakdown and how far graft's GRAFT-OUT is from it.
r_case() {
    R_WALL="-"
    if [ "${BENCH_SKIP_R:-0}" = 1 ]; then
        say "R on $1: skipped (BENCH_SKIP_R=1)"
    elif [ -n "$SURVEY_WHY" ]; then
        say "R on $1: skipped ($SURVEY_WHY)"
    else
        note "$1: R survey, one run (about a minute) ..."
        CHECK="" measure Rscript "$SRC/r_bench.R" "$2" "$3"
        R_WALL=$WALL R_CPU=$CPU R_KB=$KB
        say "R on $1: $STDOUT"
        say "graft vs R on $1: $(vs_r "$3" "$4")"
    fi
}

# r_row NAME: R's row after the graft and floor rows (when R ran)
r_row() {
    if [ "$R_WALL" != - ]; then
        row "R survey $1 (1 run)" "$ROWS" "$R_WALL" "$R_CPU" "$R_KB" "$F_WALL" "-"
    fi
}

# csv_empty IN.csv: the empty fields of its data rows (cached beside it)
csv_empty() {
    local c="${1%.csv}.empty"
    if stale "$c" "$1"; then
        awk -F, 'NR > 1 { for (i = 1; i <= NF; i++) if ($i == "") n++ } END { print n + 0 }' \
            "$1" > "$c.tmp"
        mv -f "$c.tmp" "$c"
    fi
    cat "$c"
}

# describe_to FILE OUT.csv: graft describe of FILE (every column: missing,
# distinct values, range), CSV
describe_to() {
    ./graft describe "$1" --weight weight --strata stratum --psu ea --nest \
        --format csv -o "$2" || die "graft describe $1 failed"
}

# check_stat FILE LABEL: what the writer made of the CSV's empty fields
# (floor_stat -m: system-missing, tagged missing) and whether graft sees
# the same columns as in the CSV (graft describe: missing counts, ranges)
check_stat() {
    local line rows vals sys tag str empty
    line=$("$BIN/floor_stat" -m "$1") || die "floor_stat -m $1 failed"
    read -r rows vals sys tag str <<< "$line"
    empty=$(csv_empty "$csv_1m")
    say "$2: of $vals values, $sys system-missing, $tag tagged missing," \
        "$str strings; the CSV has $empty empty fields:" \
        "$([ "$sys" = "$empty" ] && [ "$tag" = 0 ] && echo "every empty field is a system-missing value" ||
           echo "NOT one system-missing value per empty field")"
    describe_to "$1" "$TMP/describe_stat.csv"
    say "$2: graft describe (per column: missing, distinct values, range) vs the CSV's:" \
        "$(same_as "$TMP/describe_stat.csv" "$TMP/describe_csv.csv")"
}

t_start=$(secs)
read -r psus_1m strata_1m <<< "$(design_of "$csv_1m")"

# csv 1M, linearization, and R -------------------------------------------------
out_1m=bench/out_csv_1m.csv
estimate_case "csv 1M" floor_csv "$csv_1m" "$out_1m"
sums_1m=$G_SUMS walls_1m=$G_WALLS
r_case "csv 1M" "$csv_1m" bench/out_r_1m.csv "$out_1m"
add_rows "csv 1M" "csv 1M (libcsv)" "$R_WALL"
r_row "csv 1M"
r_1m=$R_WALL

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

# The outputs of the same data in other files, against the csv 1M one's
SAME=()

# users' CSVs: quoted (R's write.csv), and R on it; shuffled ------------------
r_q="-"
if [ -n "$Q_CSV" ]; then
    estimate_case "csv quoted 1M" floor_csv "$Q_CSV" bench/out_csv_q_1m.csv
    r_case "csv quoted 1M" "$Q_CSV" bench/out_r_q_1m.csv bench/out_csv_q_1m.csv
    add_rows "csv quoted 1M" "csv quoted 1M (libcsv)" "$R_WALL"
    r_row "csv quoted 1M"
    r_q=$R_WALL
    SAME+=("csv quoted 1M=bench/out_csv_q_1m.csv")
    if [ "$r_q" != - ] && [ "$r_1m" != - ]; then
        say "R's outputs on the quoted and the unquoted CSV:" \
            "$(same_as bench/out_r_q_1m.csv bench/out_r_1m.csv)"
    fi
fi
if [ -n "$QS_CSV" ]; then
    estimate_case "csv shuffled 1M" floor_csv "$QS_CSV" bench/out_csv_qs_1m.csv
    add_rows "csv shuffled 1M" "csv shuffled 1M (libcsv)"
    SAME+=("csv shuffled 1M=bench/out_csv_qs_1m.csv")
fi

# csv 10M, linearization -------------------------------------------------------
if [ "${BENCH_SKIP_10M:-0}" != 1 ]; then
    RUNS=$RUNS_10M estimate_case "csv 10M sim" floor_csv "$csv_10m" bench/out_csv_10m.csv
    add_rows "csv 10M sim" "csv 10M sim"
    kb_sim=$G_KB
    read -r psus_10m _ <<< "$(design_of "$csv_10m")"
    RUNS=$RUNS_10M estimate_case "csv 10M rows x10" floor_csv "$csv_rows10" bench/out_csv_10m_rows10.csv
    add_rows "csv 10M rows x10" "csv 10M rows x10"
    kb_rows10=$G_KB
    RUNS=$RUNS_10M estimate_case "csv 10M cat x10" floor_csv "$csv_cat10" bench/out_csv_10m_cat10.csv
    add_rows "csv 10M cat x10" "csv 10M cat x10"
    kb_cat10=$G_KB
    say "10M sim: the simulator with 10x the EAs ($psus_10m PSUs); rows x10: each 1M row 10 times" \
        "in a row (the 1M file's $psus_1m PSUs, grouped by PSU); cat x10: the 1M file 10 times" \
        "(the same PSUs, not grouped by PSU)"
    say "peak RSS, 10M / 1M: rows x10 $(ratio "$kb_rows10" "${GKB[csv 1M]}"), cat x10 $(ratio "$kb_cat10" "${GKB[csv 1M]}")," \
        "10M sim $(ratio "$kb_sim" "${GKB[csv 1M]}")"
    say "rows x10 and cat x10 outputs (the same rows in another order):" \
        "$(same_as bench/out_csv_10m_rows10.csv bench/out_csv_10m_cat10.csv)"
fi

# sav 1M (csv2sav), and haven's .dta, .sav, .sas7bdat ---------------------------
estimate_case "sav 1M csv2sav" floor_stat "$sav_1m" bench/out_sav_1m.csv
add_rows "sav 1M csv2sav" "sav 1M csv2sav (ReadStat)"
SAME+=("sav 1M csv2sav=bench/out_sav_1m.csv")
if [ "${#STAT_FILES[@]}" -gt 0 ]; then
    describe_to "$csv_1m" "$TMP/describe_csv.csv"
fi
for f in "${STAT_FILES[@]}"; do
    ext=${f##*.}
    check_stat "$f" "$ext 1M haven"
    estimate_case "$ext 1M haven" floor_stat "$f" "bench/out_${ext}_haven_1m.csv"
    add_rows "$ext 1M haven" "$ext 1M haven (ReadStat)"
    SAME+=("$ext 1M haven=bench/out_${ext}_haven_1m.csv")
done

# replicate weights, 1M x 80 ---------------------------------------------------
run_case "csv 1M rep$REPS" "$RUNS" floor_csv "$rep_csv_1m" bench/out_rep${REPS}_1m.csv \
    ./graft estimate "$rep_1m" --missing 8,9 --analysis "$ANALYSIS" -o bench/out_rep${REPS}_1m.csv
add_rows "csv 1M rep$REPS" "csv 1M rep$REPS"

# graft run: two 1M-row rounds, estimates, comparison, trend, charts, report ---
if [ -n "$csv_r2_1m" ]; then
    run_case "run 2x1M" "$RUNS" floor_csv "$csv_1m $csv_r2_1m" bench/out_run_1m \
        ./graft run "$SRC/run_bench.ini" -o bench/out_run_1m
    add_rows "run 2x1M + charts" "run 2x1M (2x libcsv)"
    say "run 2x1M: graft run tests/bench/run_bench.ini (analysis/demo.ini's 11 indicators, compare," \
        "trend, 5 charts with gnuplot, report.md and .html) on rounds 1 and 2 ($ROWS rows);" \
        "its floor is the sum of libcsv's passes over the two rounds; its peak_MB includes gnuplot's"
fi

for s in "${SAME[@]}"; do
    say "${s%%=*} output vs csv 1M's: $(same_as "${s#*=}" "$out_1m")"
done
if [ "${#NONDET[@]}" -eq 0 ]; then
    say "every graft case gave the same output on every run"
else
    say "WARNING: output differs between runs: ${NONDET[*]}"
fi

# ---- targets ------------------------------------------------------------------
# target WHAT OK DETAIL: a note "target WHAT: met|NOT met (DETAIL)"
target() {
    if [ "$2" = 1 ]; then say "target $1: met ($3)"; else say "target $1: NOT met ($3)"; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }
x3() { awk -v a="$1" 'BEGIN { printf "%.3fx", a }'; }
if [ "$EA_1M" != 8120 ]; then
    say "the targets are for the 1M files (--ea-per-stratum 8120); these are at $EA_1M, so they say little"
fi
# unchecked WHAT: a target whose case did not run
unchecked() { say "target $1: not checked (the case was skipped)"; }
if [ -n "$Q_CSV" ]; then
    x=${XF[csv quoted 1M]}
    target "csv quoted 1M <= 1.5x its floor" "$(le "$x" 1.5)" "$(x3 "$x")"
    if [ "$(nproc)" -ge 2 ]; then
        target "csv quoted 1M <= 1.0x its floor with two cores" "$(le "$x" 1.0)" "$(x3 "$x"), $(nproc) CPUs"
    else
        say "target csv quoted 1M <= 1.0x its floor with two cores: not checked (1 CPU)"
    fi
else
    unchecked "csv quoted 1M <= 1.5x its floor (<= 1.0x with two cores)"
fi
if [ "$r_q" != - ]; then
    x=$(awk -v a="$r_q" -v b="${GWALL[csv quoted 1M]}" 'BEGIN { print a / b }')
    target "graft >= 130x faster than R on the quoted CSV" "$(le 130 "$x")" \
        "$(awk -v a="$x" 'BEGIN { printf "%.0fx", a }'): R $r_q s, graft ${GWALL[csv quoted 1M]} s"
else
    say "target graft >= 130x faster than R on the quoted CSV: not checked (R did not run on it)"
fi
if [ -n "$QS_CSV" ]; then
    x=${XF[csv shuffled 1M]}
    target "csv shuffled 1M <= 2x its floor" "$(le "$x" 2)" "$(x3 "$x")"
    target "csv shuffled 1M peak < 64 MB" "$(le "${GKB[csv shuffled 1M]}" 65535)" \
        "$(awk -v k="${GKB[csv shuffled 1M]}" 'BEGIN { printf "%.1f MB", k / 1024 }')"
else
    unchecked "csv shuffled 1M <= 2x its floor and peak < 64 MB"
fi
for ext in dta sav sas7bdat; do
    if [ -n "${XF[$ext 1M haven]:-}" ]; then
        x=${XF[$ext 1M haven]}
        target "$ext 1M haven <= 1.3x its floor" "$(le "$x" 1.3)" "$(x3 "$x")"
    else
        unchecked "$ext 1M haven <= 1.3x its floor"
    fi
done
total=$(elapsed "$t_start")

# ---- report -----------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)
{
    echo "== graft bench, $(date '+%Y-%m-%d %H:%M:%S %z'), graft $rev"
    echo "   $(uname -m), $(nproc) CPUs, ${cpu:-unknown CPU}, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "   9 proportions by zone (tests/bench/bench.ini), logit CIs; 1M: $psus_1m PSUs in $strata_1m strata"
    echo
    printf '%-36s %10s %8s %7s %8s %8s %6s\n' case rows wall_s cpu_s peak_MB x_floor x_R
    for i in "${!T_NAME[@]}"; do
        printf '%-36s %10s %8.2f %7.2f %8.1f %8s %6s\n' "${T_NAME[$i]}" "${T_ROWS[$i]}" \
            "${T_WALL[$i]}" "${T_CPU[$i]}" "$(awk -v k="${T_KB[$i]}" 'BEGIN { print k / 1024 }')" \
            "$(ratio "${T_WALL[$i]}" "${T_FLOOR[$i]}")" "$(ratio "${T_R[$i]}" "${T_WALL[$i]}")"
    done
    echo
    echo "wall_s: median of $RUNS runs ($RUNS_10M for 10M), graft and its floor taking turns (R: one run,"
    echo "the whole Rscript timed from outside);"
    echo "cpu_s: median user + system seconds (all threads); peak_MB: the largest ru_maxrss over the runs;"
    echo "x_floor: wall_s / the parse floor's wall_s on the same file (libcsv for a CSV, a ReadStat pass"
    echo "for .sav/.dta/.sas7bdat, both rounds' libcsv passes summed for run 2x1M); x_R: R's wall_s /"
    echo "wall_s (times faster than R).  graft csv 1M runs: $walls_1m s"
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo "measured in $total s"
    echo
} > "$TMP/report"
cat "$TMP/report"
cat "$TMP/report" >> "$RESULTS"
echo "bench: appended to $RESULTS; graft outputs in bench/out_*.csv and bench/out_run_1m/"
