#!/usr/bin/env bash
# tests/install/completion.sh GRAFT - the bash completion
# (src/cli/graft.bash-completion) against the graft binary GRAFT: commands,
# options, option values and file names, each read from GRAFT's --help, so
# that every option each command's help lists completes.  Run from the
# repository root by `make check`.
set -u
G=${1:-build/release/graft}
[ -x "$G" ] || { echo "completion.sh: $G not found"; exit 1; }
# shellcheck source=../../src/cli/graft.bash-completion
. src/cli/graft.bash-completion
fails=0 checks=0

# complete WORD...: COMPREPLY for the command line WORD... (the last word
# is the one being completed; "" for a new word), as bash would set it.
complete_line() {
    COMP_WORDS=("$G" "$@")
    COMP_CWORD=$#
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _graft
}

fail() {
    echo "completion.sh: FAIL: $*"
    fails=$((fails + 1))
}

# has LINE... :: WANT...: completing LINE offers every WANT.
has() {
    local line=() w got
    while [ "$1" != :: ]; do line+=("$1"); shift; done
    shift
    complete_line "${line[@]}"
    checks=$((checks + 1))
    got=" ${COMPREPLY[*]} "
    for w in "$@"; do
        [[ $got == *" $w "* ]] ||
            fail "graft ${line[*]}: no '$w' among: ${COMPREPLY[*]}"
    done
}

# is LINE... :: WANT...: completing LINE offers exactly WANT (any order).
is() {
    local line=() got want
    while [ "$1" != :: ]; do line+=("$1"); shift; done
    shift
    complete_line "${line[@]}"
    checks=$((checks + 1))
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')
    [ "$got" = "$want" ] ||
        fail "graft ${line[*]}: offered '$got', want '$want'"
}

# Commands.
has est :: estimate
is est :: estimate
is "" :: $("$G" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit }
                             on && /^  [a-z]/ { print $1 }')
has "" :: describe estimate compare trend model run plot replicate weight \
    simulate plan version
is --v :: --version
is tr :: trend

# Options, from each command's --help; an option after another's value.
has estimate --b :: --by
is estimate --b :: --by
has estimate --nest --w :: --weight
has estimate data.csv --weight w --str :: --strata
has compare --sh :: --shared-psus
has run --o :: --output
has plot --k :: --kind

# Values.
has estimate --format "" :: text csv json md
is estimate --ci w :: wald wilson
is estimate --ci = w :: wald wilson # --ci=w, split at '=' by bash
has estimate --format = :: csv
is weight --method r :: rake raking
is plot x.csv --kind d :: dumbbell
has plot x.csv --kind "" :: bar dumbbell trend heatmap forest power mde
has plan --format "" :: text csv json md
is estimate --lonely-psu a :: adjust average
is estimate --weight w :: # a column: nothing to offer
is estimate --level "" ::

# File names: data and survey files, file-valued options, folders for -o DIR.
has estimate surveys/demo/round1. :: surveys/demo/round1.csv surveys/demo/round1.ini
has estimate --survey surveys/demo/round2.i :: surveys/demo/round2.ini
has estimate --survey surveys/demo/round1.ini --analysis analysis/de :: \
    analysis/demo.ini
has weight --margins surveys/demo/m :: surveys/demo/margins
is run -o surveys/demo/ :: surveys/demo/margins
has run analysis/d :: analysis/demo.ini

# Every option every command's help lists completes after "--" or "-".
for cmd in $("$G" --help | awk '/^commands:/ { on = 1; next }
                               on && /^$/ { exit } on && /^  [a-z]/ { print $1 }'); do
    for opt in $("$G" "$cmd" --help | grep -oE '^ +--?[a-z][a-z0-9-]*' | tr -d ' '); do
        has "$cmd" "${opt%%[a-z0-9]*}" :: "$opt"
    done
done

# Read once per command and shell: completing again asks graft nothing.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
printf '#!/bin/sh\necho "$*" >> "%s/calls"\nexec "%s" "$@"\n' "$tmp" "$(cd "$(dirname "$G")" && pwd)/$(basename "$G")" > "$tmp/graft"
chmod +x "$tmp/graft"
real=$G G=$tmp/graft
has estimate --b :: --by
has estimate --format "" :: csv
has est :: estimate
has e :: estimate
checks=$((checks + 1))
[ "$(sort "$tmp/calls" | tr '\n' ,)" = "--help,estimate --help," ] ||
    fail "graft asked more than once per command: $(tr '\n' , < "$tmp/calls")"
G=$real

if [ $fails -ne 0 ]; then
    echo "completion.sh: $fails of $checks checks failed"
    exit 1
fi
echo "completion.sh: $checks completions as graft's --help lists them"
