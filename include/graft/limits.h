/*
 * graft/limits.h - every size a user's input can ask for, in one place.
 *
 * Each limit is far beyond what a real survey needs and keeps memory
 * bounded; an input beyond one is refused with an error that names what
 * is too large, where, and the limit (never an out-of-memory kill or a
 * hang).  docs/formats.md "Limits" is this table for users.
 */
#ifndef GRAFT_LIMITS_H
#define GRAFT_LIMITS_H

/* A CSV row (a record: the header or a data row, quoted line breaks
 * included), so any field of it, is held in memory whole, as are its
 * fields' places: at most GRAFT_MAX_ROW_BYTES bytes and GRAFT_MAX_COLUMNS
 * fields.  A longer row is most often an unclosed quote or not a CSV
 * file; refused at its first line once the limit is passed, before more
 * memory is taken. */
#define GRAFT_MAX_ROW_BYTES (256UL << 20) /* 256 MiB */
#define GRAFT_MAX_COLUMNS 1000000

/* Columns of one --by table (one output row per combination of their
 * values), and columns of the strata (their combination is the stratum). */
#define GRAFT_MAX_BY 8
#define GRAFT_MAX_STRATA_COLUMNS 8

/* Domains (distinct combinations of values, missing values left out) of
 * one --by table, in one estimate, compare, trend or run.  An estimate
 * keeps its state per (domain, round, indicator) cell: measured, about
 * 1.5 KB a cell for an unclustered design, 10 KB when the domain's rows
 * fall in 20 strata and 20 PSUs (per-stratum and per-PSU sums).  So
 * 10,000 domains of one indicator take 15 to 100 MB.  With R replicate
 * weights a cell keeps 2 R sums, and with df = domain (the default) an
 * R x R matrix of 8 R^2 bytes for its degrees of freedom: 500 replicates
 * in 100 domains measured 207 MB (8 MB with --df design); no limit here
 * bounds that product.  Refused as soon as the pass meets domain
 * GRAFT_MAX_DOMAINS + 1, before its memory is taken. */
#define GRAFT_MAX_DOMAINS 10000

/* Rounds of one compare, trend or analysis. */
#define GRAFT_MAX_ROUNDS 16

/* Replicate weights: those `replicate` makes (one per PSU for jk1 and
 * jkn, but none for a stratum sampled whole; the Hadamard order, a
 * multiple of 4 above the PSU pairs, for brr and fay; --replicates for the
 * bootstraps) and the columns a design's --repweights (repweights =)
 * names. */
#define GRAFT_MAX_REPLICATES 10000
#define GRAFT_REPLICATE_MAX_N GRAFT_MAX_REPLICATES /* --replicates bound */

/* Deepest nesting of parentheses, 'not' and function calls accepted in an
 * expression. */
#define GRAFT_EXPR_MAX_DEPTH 200

#endif
