/*
 * graft.h - the graft library: design-based estimates from survey
 * microdata (SPSS, Stata, SAS, CSV), comparisons between survey rounds,
 * replicate weights, tables and charts.  Include this header only; the
 * headers under graft/ are its parts, one per concern.
 *
 * The conventions, stated once for every function of the library:
 *
 * Names.  Every exported symbol starts with graft_ (functions, types
 * graft_<thing>_t) or GRAFT_ (macros, enum values); tests/symbols.sh checks
 * the library archive for it.  Objects come from graft_<thing>_alloc(),
 * from a _load() of a file (survey, analysis), a _parse() of text
 * (expressions) or a function that computes them into **OUT (estimates,
 * comparisons, descriptions); each is freed with graft_<thing>_free().
 *
 * Ownership.  Functions never take ownership of pointer arguments unless
 * their comment says so.  Returned pointers are the caller's, freed with the
 * matching _free function; every _free accepts NULL.  Pointers handed to a
 * callback (graft_read's rows and columns) are borrowed and valid only
 * during the call.
 *
 * Errors.  Every fallible function returns a graft_error_t (graft/error.h):
 * GRAFT_OK, or a code with fixed value that is never renumbered.  On
 * failure it fills the graft_diag_t the caller passed (which may be NULL):
 * the file, line and column of the user's input that is wrong, and a
 * message.  graft_diag_format() gives "FILE:LINE:COL: message";
 * graft_exit_code() maps a code to the command line's exit status.
 * graft computes with GSL and checks every GSL status itself: a program
 * using the library must call gsl_set_error_handler_off() once before it
 * (graft's main() and every test do), or GSL's default handler aborts the
 * process where graft would have reported an undefined interval (e.g. a
 * beta quantile that overflows with weights near 1e-308).
 *
 * Output.  The library never prints (it writes to stdout only when a
 * caller's graft_outfile_t asks for it), never exits and never reads the
 * environment: what a command line takes from GRAFT_THREADS, GRAFT_GNUPLOT
 * or the terminal comes in through option structs
 * (graft_read_opts_t.threads and .progress, graft_chart_spec_t.gnuplot);
 * tests/symbols.sh checks that the archive calls no getenv().  Files are written
 * atomically (graft/output.h): a table or chart appears whole or not at
 * all, and no input file is ever opened for writing.
 *
 * Threads.  Functions are reentrant: no global state is written but one,
 * so different objects may be used from different threads at once.  The
 * one is the registry of temporary files (graft/output.h): every output
 * file being written is tracked, under a lock, so that
 * graft_tmp_remove_all() (async-signal-safe) can remove them from a signal
 * handler; the graft command calls it on SIGINT, SIGTERM and SIGHUP.  One
 * object is not to be used from two threads at the same time.  graft_read()
 * may run its ROW callback on a second thread of its own while the caller's
 * thread parses, or parse a large CSV file on threads of its own while ROW
 * runs on the caller's (graft_read_opts_t.threads; graft/reader.h): rows
 * still arrive one at a time and in file order, the HEADER and progress
 * callbacks run on the caller's thread, and the threads are joined before
 * graft_read() returns.
 *
 * Numbers.  Statistics are doubles; counts are size_t.  Undefined results
 * (a variance with one PSU, an interval of an empty domain) are NaN, and
 * every writer shows them as such (an empty CSV field, JSON null, "-").
 */
#ifndef GRAFT_H
#define GRAFT_H

#include "graft/version.h"  /* graft_version() */
#include "graft/error.h"    /* error codes, diagnostics, exit codes */
#include "graft/limits.h"   /* every size an input may ask for */
#include "graft/labels.h"   /* value labels */
#include "graft/reader.h"   /* streaming reads of CSV, SPSS, Stata, SAS */
#include "graft/spec.h"     /* sources of user text, derived variables */
#include "graft/expr.h"     /* the expression language of --prop, --among */
#include "graft/design.h"   /* stratified clustered designs, streamed */
#include "graft/survey.h"   /* survey files (INI) */
#include "graft/ci.h"       /* confidence intervals, reliability flags */
#include "graft/estimate.h" /* proportions, means, totals in domains */
#include "graft/analysis.h" /* analysis files (INI) */
#include "graft/replicate.h" /* replicate weights */
#include "graft/calibrate.h" /* calibration of weights, trimming */
#include "graft/weight.h"   /* margins files, graft weight */
#include "graft/describe.h" /* what a data file and its design hold */
#include "graft/compare.h"  /* differences between rounds, trends */
#include "graft/model.h"    /* design-based GLMs (svyglm) */
#include "graft/output.h"   /* output files that appear whole or not at all */
#include "graft/table.h"    /* tables as text, CSV, JSON, Markdown */
#include "graft/xlsx.h"     /* tables as Excel workbooks */
#include "graft/chart.h"    /* charts through gnuplot */
#include "graft/report.h"   /* the report of an analysis */
#include "graft/simulate.h" /* the demo survey */
#include "graft/plan.h"     /* sample size and detectable change */

#endif
