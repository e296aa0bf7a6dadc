/*
 * cli.h - the command-line layer: option parsing shared by the commands,
 * and the commands themselves.  Only this layer prints or exits.
 */
#ifndef GRAFT_CLI_H
#define GRAFT_CLI_H

#include "graft.h"

struct graft_analysis;

/* The environment (main.c): the library reads none, the commands pass
 * what it says in option structs. */
/* graft_read_opts_t.threads: 1 when GRAFT_THREADS is "1", else 0. */
unsigned cli_env_threads(void);
/* graft_chart_spec_t.gnuplot: $GRAFT_GNUPLOT when set and not empty, else
 * NULL (the library runs "gnuplot" from PATH). */
const char *cli_env_gnuplot(void);

/* The progress line (progress.c). */
typedef struct cli_progress {
    double start, last;
    int shown;
} cli_progress_t;

/* Show progress while READ's file is read, when stderr is a terminal. */
void cli_progress_attach(cli_progress_t *p, graft_read_opts_t *read);
/* Clear the progress line, if one was shown. */
void cli_progress_done(cli_progress_t *p);

/* The data, design and read options common to the commands that read a
 * survey, after merging a survey file with the flags (flags win). */
typedef struct cli_input {
    const char *data;           /* data file */
    graft_survey_t *survey;     /* loaded survey file, or NULL */
    graft_design_spec_t design; /* strings borrowed from argv or survey */
    graft_read_opts_t read;
    graft_missing_spec_t *missing; /* survey's codes + --missing */
    double *cli_codes;          /* --missing codes */
    double *rscales;            /* --rscales values */
    const char *rscales_file;   /* --rscales when it named a file, or NULL */
    char *strata_buf;           /* --strata, split in place */
    const char *exempt[GRAFT_MAX_STRATA_COLUMNS + 5]; /* design columns,
                                                          [calibration]'s
                                                          weights */
    cli_progress_t progress;
} cli_input_t;

/* Flags as given, before merging. */
typedef struct cli_flags {
    const char *data, *survey, *weight, *strata, *psu, *fpc, *lonely;
    const char *delim, *missing, *output, *format;
    const char *repweights, *reptype, *rho, *scale, *rscales;
    int nest; /* -1 unset */
    int mse;  /* -1 unset */
} cli_flags_t;

/* Options every command that reads a survey shares (getopt_long values). */
enum cli_common_opt {
    OPT_SURVEY = 256, OPT_WEIGHT, OPT_STRATA, OPT_PSU, OPT_FPC, OPT_NEST,
    OPT_LONELY, OPT_DELIM, OPT_MISSING, OPT_FORMAT, OPT_HELP,
    OPT_REPWEIGHTS, OPT_REPTYPE, OPT_RHO, OPT_SCALE, OPT_RSCALES, OPT_MSE,
    OPT_COMMON_END
};

#define CLI_COMMON_OPTIONS                                                    \
    {"survey", required_argument, NULL, OPT_SURVEY},                          \
    {"weight", required_argument, NULL, OPT_WEIGHT},                          \
    {"strata", required_argument, NULL, OPT_STRATA},                          \
    {"psu", required_argument, NULL, OPT_PSU},                                \
    {"fpc", required_argument, NULL, OPT_FPC},                                \
    {"nest", no_argument, NULL, OPT_NEST},                                    \
    {"lonely-psu", required_argument, NULL, OPT_LONELY},                      \
    {"delim", required_argument, NULL, OPT_DELIM},                            \
    {"missing", required_argument, NULL, OPT_MISSING},                        \
    {"format", required_argument, NULL, OPT_FORMAT},                          \
    {"output", required_argument, NULL, 'o'},                                 \
    {"help", no_argument, NULL, OPT_HELP},                                    \
    {"repweights", required_argument, NULL, OPT_REPWEIGHTS},                  \
    {"reptype", required_argument, NULL, OPT_REPTYPE},                        \
    {"rho", required_argument, NULL, OPT_RHO},                                \
    {"scale", required_argument, NULL, OPT_SCALE},                            \
    {"rscales", required_argument, NULL, OPT_RSCALES},                        \
    {"mse", no_argument, NULL, OPT_MSE}

#define CLI_COMMON_USAGE                                                      \
    "  --survey FILE      survey file (INI) naming the data and design\n"    \
    CLI_DESIGN_USAGE

/* The design options without --survey (compare and trend take each round's
 * survey file as an argument). */
#define CLI_DESIGN_USAGE                                                      \
    "  --weight COL       sampling weight (--weight 1: unweighted)\n"        \
    "  --strata COL[,COL] strata (several columns combine)\n"                \
    "  --psu COL          first-stage cluster (default: each row)\n"         \
    "  --fpc COL          finite population correction\n"                    \
    "  --nest             PSU ids repeat across strata\n"                    \
    "  --lonely-psu P     fail|remove|certainty|adjust|average\n"            \
    "  --delim D          CSV delimiter: ',', ';' or tab (default: detect)\n" \
    "  --missing CODES    extra missing codes for every column, e.g. 8,9,-1\n"    \
    "  --repweights RE    replicate weight columns: a regex or a comma list\n" \
    "  --reptype T        jk1|jkn|brr|fay|bootstrap|sdr|acs|other\n"         \
    "  --rho R            Fay's rho, 0 <= R < 1 (fay)\n"                    \
    "  --scale S          replicate variance scale (default: the type's)\n" \
    "  --rscales LIST|FILE  per-replicate multipliers (jkn needs them)\n"   \
    "  --mse              centre replicates on the full-sample estimate\n"

/* F with no flag given: every field NULL or 0, nest and mse unset (-1). */
void cli_flags_init(cli_flags_t *f);

/* Start parsing a command's options (opts.c): F (NULL for a command
 * without the common options) set by cli_flags_init(), getopt_long reset to
 * argv[1] with its own messages off. */
void cli_parse_begin(cli_flags_t *f);

/* The usage error for getopt_long's C that is no option of command CMD:
 * ':' (an option without its value) or any other (unknown option), naming
 * argv[optind - 1].  Returns GRAFT_EXIT_USAGE. */
int cli_getopt_error(const char *cmd, int c, char **argv);

/* Store a common option C (with OPTARG) in F.  Returns 1 if C was one. */
int cli_common_option(int c, const char *optarg, cli_flags_t *f);

/* Take the positional arguments ARGV[FIRST..ARGC): a *.ini is the survey
 * file, anything else the data file.  Returns -1 or a usage exit code. */
int cli_positional(const char *cmd, int argc, char **argv, int first,
                   cli_flags_t *f);

/* Print "graft: MSG" and return the exit code for CODE. */
int cli_fail(const graft_diag_t *diag);
/* Print a usage error "graft: MSG" and return GRAFT_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Print "graft: out of memory" and return GRAFT_EXIT_OSERR (71), the exit
 * code of a failed allocation (never the usage code). */
int cli_nomem(void);

/* Build IN from FLAGS (loading the survey file).  On failure fills DIAG. */
graft_error_t cli_input_init(cli_input_t *in, const cli_flags_t *flags,
                             int need_design, graft_diag_t *diag);
void cli_input_free(cli_input_t *in);

/* 1 when OUTPUT (NULL or "-": stdout) is a regular file that is INPUT or
 * resolves to it: same device and inode, through symbolic links, "..",
 * hard links.  Devices and FIFOs are never the same file as an input. */
int cli_same_file(const char *output, const char *input);
/* Refuse to write OUTPUT (-o; NULL or "-" is stdout) over INPUT, a file the
 * command reads, described by WHAT ("input data file"): when OUTPUT is a
 * regular file that is INPUT or resolves to it (same device and inode:
 * through symbolic links, "..", hard links).  Returns -1 to go on, or
 * GRAFT_EXIT_USAGE after "graft: -o OUTPUT is the WHAT INPUT: refusing to
 * overwrite it". */
int cli_output_not_file(const char *output, const char *input,
                        const char *what);
/* cli_output_not_file() for every file IN reads (the data file, the survey
 * file, a --rscales file) and ANALYSIS (the analysis file, or NULL). */
int cli_output_not_input(const char *output, const cli_input_t *in,
                         const char *analysis);
/* "made by: graft ARGV..." (ARGV[0] the subcommand), for the first comment
 * of a survey file a command writes; NULL when out of memory.  Take it
 * before getopt reorders ARGV. */
char *cli_command_line(int argc, char **argv);
/* Keep an existing survey file INI that `graft CMD` did not write (its
 * first line is not "; made by: graft CMD") unless FORCE.  Returns -1 to go
 * on, or GRAFT_EXIT_USAGE after "graft: CMD: INI exists and was not written
 * by graft CMD: refusing to replace it (--force replaces it)". */
int cli_keep_foreign_ini(const char *cmd, const char *ini, int force);


/* ---- indicators, domains and tests from options (indicator_opts.c) -- */

#define CLI_MAX_ROUNDS GRAFT_MAX_ROUNDS

/* The options of estimate, compare and trend, as given. */
typedef struct cli_analysis {
    cli_flags_t flags;
    graft_indicator_spec_t *inds;  /* --prop, --mean, --total, one per
                                      probability of --quantile */
    size_t n_inds, cap_inds;
    size_t first_ind;              /* the last option's first spec */
    char **bufs;                   /* --quantile's expressions (owned) */
    size_t n_bufs, cap_bufs;
    graft_by_spec_t by[16];
    char *by_bufs[16];
    size_t n_by;
    const char *analysis, *ci, *level, *df, *min_n;
    int shared_psus, harmonized;
    const char *test_df, *adjust;
    const char *files[CLI_MAX_ROUNDS]; /* compare and trend: the rounds */
    size_t n_files;
} cli_analysis_t;

/* Parse ARGV for command CMD (ROUNDS: compare/trend positionals are
 * rounds).  Returns -1 to go on, else an exit code (help printed: 0). */
int cli_analysis_parse(const char *cmd, const char *usage, int rounds,
                       int argc, char **argv, cli_analysis_t *e);
/* Option values of a command's own options beyond the analysis options
 * (getopt_long values from here up). */
#define CLI_EXTRA_OPT_BASE (OPT_COMMON_END + 100)
/* A command's own option C with ARG into CTX: -1 to go on, or an exit
 * code. */
struct option;
typedef int (*cli_extra_fn)(void *ctx, int c, const char *arg);
/* cli_analysis_parse() with the options EXTRA (values from
 * CLI_EXTRA_OPT_BASE up, NULL-terminated; may be NULL) handed to FN.
 * ROUNDS CLI_DATA_OPTIONAL: the data file may be left out (sae --direct);
 * the caller checks. */
#define CLI_DATA_OPTIONAL 2
int cli_analysis_parse_ext(const char *cmd, const char *usage, int rounds,
                           int argc, char **argv, cli_analysis_t *e,
                           const struct option *extra, cli_extra_fn fn,
                           void *ctx);
/* Estimation options from the analysis file A (may be NULL), then the
 * flags; *ALL receives the indicator array (caller frees). Returns -1 or a
 * usage exit code. */
int cli_analysis_opts(cli_analysis_t *e, const struct graft_analysis *a,
                      graft_estimate_opts_t *o, graft_indicator_spec_t **all);
/* cli_analysis_opts() after loading the analysis file of --analysis, if
 * any, into *ANALYSIS (NULL on entry; the caller frees it with
 * graft_analysis_free() whatever this returns).  Returns -1, or the exit
 * code after a message (cli_fail() with DIAG when the file fails to
 * load). */
int cli_analysis_load(cli_analysis_t *e, struct graft_analysis **analysis,
                      graft_estimate_opts_t *o, graft_indicator_spec_t **all,
                      graft_diag_t *diag);
void cli_analysis_free(cli_analysis_t *e);
/* The table format of the output OUTPUT of option OPT ("-o") from its
 * extension, into *FORMAT: .csv, .json, .md, .txt or .xlsx (any case);
 * CSV without one; stdout: text on a terminal, else CSV.  Returns -1, or a
 * usage exit code after "graft: OPT OUTPUT: unknown extension '.xls' ...". */
int cli_output_format(const char *opt, const char *output,
                      graft_table_format_t *format);
/* The -o OUTPUT of CMD, which writes CSV data (simulate, replicate): -1
 * when it ends in .csv (any case) or has no extension, else a usage exit
 * code after the message: CSV under another format's name would be CSV in
 * disguise. */
int cli_csv_output(const char *cmd, const char *output);
/* A workbook is never written to stdout: -1 when OUTPUT is a file, else a
 * usage exit code after the message. */
int cli_xlsx_not_stdout(const char *output);
/* Write a workbook to PATH atomically (graft_outfile_*): FILL adds the
 * sheets, DESIGN (or NULL) goes to the notes.  GRAFT_OK, or the error in
 * DIAG with nothing left at PATH. */
struct graft_workbook;
graft_error_t cli_write_workbook(const char *path,
                                 graft_error_t (*fill)(struct graft_workbook *wb,
                                                       const void *arg,
                                                       graft_diag_t *diag),
                                 const void *arg,
                                 const graft_design_spec_t *design,
                                 graft_diag_t *diag);
/* Write a table to PATH (stdout for NULL or "-") in FORMAT, atomically: a
 * workbook through FILL (cli_write_workbook, DESIGN to its notes), any
 * other format through WRITE on the output stream.  GRAFT_OK, or the
 * error in DIAG with nothing left at PATH. */
graft_error_t cli_write_table(const char *path, graft_table_format_t format,
                              graft_error_t (*write)(FILE *fp,
                                                     const void *arg,
                                                     graft_table_format_t f,
                                                     graft_diag_t *diag),
                              graft_error_t (*fill)(struct graft_workbook *wb,
                                                    const void *arg,
                                                    graft_diag_t *diag),
                              const void *arg,
                              const graft_design_spec_t *design,
                              graft_diag_t *diag);
/* ---- number options (numbers.c): one parser for all of them ---------- */

/* S as an unsigned decimal integer: digits only (no sign, no space, nothing
 * after), no overflow.  Returns 1 with *OUT, or 0. */
int cli_parse_uint(const char *s, unsigned long *out);
/* S as a finite decimal number: nothing before or after it, no
 * hexadecimal, infinity, NaN or overflow.  Returns 1 with *OUT, or 0. */
int cli_parse_real(const char *s, double *out);
/* Option OPT of command CMD (NULL: an option several commands share), its
 * value S an integer from LO to HI, into *OUT.  Returns -1, or
 * GRAFT_EXIT_USAGE after "graft: [CMD: ]OPT: 'S' is not an integer from LO
 * to HI" (0 to ULONG_MAX: "is not a non-negative integer"). */
int cli_uint_option(const char *cmd, const char *opt, const char *s,
                    unsigned long lo, unsigned long hi, unsigned long *out);
/* --level ARG into *LEVEL: a number from GRAFT_LEVEL_MIN to
 * GRAFT_LEVEL_MAX (0.5 to 0.9999).  Returns -1, or a usage exit code after
 * the message. */
int cli_level_flag(const char *arg, double *level);
/* The table format of F: its --format (whatever -o's extension), else
 * cli_output_format() of its -o; xlsx only to a file.  Returns -1, or a
 * usage exit code when --format names no table format, -o has an unknown
 * extension or a workbook would go to stdout. */
int cli_table_format_flag(const cli_flags_t *f, graft_table_format_t *format);

#define CLI_ANALYSIS_USAGE                                                    \
    "  --prop EXPR        proportion where EXPR is true (COL means COL == 1)\n" \
    "  --mean EXPR        weighted mean of EXPR\n"                           \
    "  --total EXPR       weighted total of EXPR\n"                          \
    "  --quantile EXPR:P[,P]  quantiles of EXPR, e.g. amount:0.25,0.5,0.75\n" \
    "  --among EXPR       restrict the previous indicator's domain\n"        \
    "  --name LABEL       name the previous indicator in the output\n"       \
    "  --by COL[,COL]     one row per combination (repeat for more tables)\n" \
    "  --analysis FILE    analysis file with indicators and domains\n"       \
    "  --ci METHOD        logit|wald|beta|kg-nchs|wilson|jeffreys|asin|xlogit\n" \
    "                     (default logit)\n"                                \
    "  --level L          confidence level, 0.5 to 0.9999 (default 0.95)\n"  \
    "  --df D             domain (default), design, or a number\n"           \
    "  --min-n N          suppress estimates from fewer than N rows\n"       \
    "  --format F         text|csv|json|md|xlsx (default: text on a\n"       \
    "                     terminal, else from -o's extension: .csv .json\n" \
    "                     .md .txt .xlsx; none: csv; any other: an error)\n" \
    "  -o FILE, --output FILE  write to FILE (atomically)\n"

int cmd_describe(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_trend(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_replicate(int argc, char **argv);
int cmd_weight(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_sae(int argc, char **argv);

#endif
