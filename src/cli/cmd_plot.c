/*
 * cmd_plot.c - `graft plot`: a chart of an estimates, comparison or trend
 * CSV, drawn by gnuplot (see graft/chart.h).
 */
#define _GNU_SOURCE
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plot_usage[] =
    "usage: graft plot FILE --kind KIND -o OUT.png|.svg|.pdf [options]\n"
    "  FILE               a CSV written by graft estimate (bar, heatmap),\n"
    "                     graft compare (dumbbell), graft trend (trend) or\n"
    "                     graft model (forest), graft plan (power, mde)\n"
    "                     or graft sae (sae, sae-resid)\n"
    "  --kind KIND        bar       domains as bars with CI whiskers\n"
    "                     dumbbell  baseline and follow-up per domain, and\n"
    "                               the change with its CI\n"
    "                     trend     one line per domain across rounds\n"
    "                     heatmap   domains by indicators, value in each "
    "cell\n"
    "                     forest    a logistic or Poisson model's ratios "
    "with CIs\n"
    "                     power     power against the true change, from\n"
    "                               graft plan's table (one curve a row)\n"
    "                     mde       smallest detectable fall against the\n"
    "                               sample size, from graft plan's table\n"
    "                     sae       direct against model-based estimates\n"
    "                               per area, from graft sae's CSV\n"
    "                     sae-resid  the model's residual diagnostics\n"
    "  --indicator NAME   the indicator (heatmap: a comma list, default "
    "all)\n"
    "  --by COL[,COL]     the by-variable table (default: the file's only "
    "one)\n"
    "  --round R          estimates with a round column: the round (default "
    "last)\n"
    "  --title T          title (default: indicator and by-variable)\n"
    "  --subtitle S       subtitle, e.g. the question wording\n"
    "  --source S         source line at the bottom\n"
    "  --analysis FILE    analysis file: indicator labels and questions for\n"
    "                     the default title and subtitle\n"
    "  --size WxH         pixels (PDF: at 96 per inch); default 1000 wide,\n"
    "                     height from the number of rows\n"
    "  --font \"Name,size\" font (default \"sans-serif,14\")\n"
    "  --years Y1,Y2,...  trend: the x position (year) of each round\n"
    "  --round-names A,B  dumbbell: legend names of the two rounds\n"
    "  --level L          confidence level of the file (default 0.95)\n"
    "  --adjust NAME      dumbbell legend: p-value adjustment (default "
    "Holm)\n"
    "  --scale S          auto (default: percent when all values are in\n"
    "                     [0, 1]), percent, raw\n"
    "  -o OUT, --output OUT  the chart; OUT.gp (gnuplot script) and OUT.dat\n"
    "                     (its data) are written beside it\n"
    "gnuplot is run from PATH, or from $GRAFT_GNUPLOT.\n";

enum plot_opt {
    P_KIND = 300, P_INDICATOR, P_BY, P_ROUND, P_TITLE, P_SUBTITLE, P_SOURCE,
    P_SIZE, P_FONT, P_YEARS, P_ROUND_NAMES, P_LEVEL, P_ADJUST, P_SCALE,
    P_ANALYSIS, P_HELP
};

static const struct option plot_options[] = {
    {"kind", required_argument, NULL, P_KIND},
    {"indicator", required_argument, NULL, P_INDICATOR},
    {"by", required_argument, NULL, P_BY},
    {"round", required_argument, NULL, P_ROUND},
    {"title", required_argument, NULL, P_TITLE},
    {"subtitle", required_argument, NULL, P_SUBTITLE},
    {"source", required_argument, NULL, P_SOURCE},
    {"size", required_argument, NULL, P_SIZE},
    {"font", required_argument, NULL, P_FONT},
    {"years", required_argument, NULL, P_YEARS},
    {"round-names", required_argument, NULL, P_ROUND_NAMES},
    {"level", required_argument, NULL, P_LEVEL},
    {"adjust", required_argument, NULL, P_ADJUST},
    {"scale", required_argument, NULL, P_SCALE},
    {"analysis", required_argument, NULL, P_ANALYSIS},
    {"output", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, P_HELP},
    {NULL, 0, NULL, 0}};

typedef struct plot_args {
    graft_chart_spec_t spec;
    const char *kind, *size, *years, *round_names, *level, *scale;
    const char *analysis;
    double year_values[64];
    char names_buf[512];
} plot_args_t;

/* Store option C; returns -1 to go on, or an exit code. */
static int take_option(int c, char **argv, plot_args_t *a)
{
    graft_chart_spec_t *s = &a->spec;
    switch (c) {
    case P_KIND: a->kind = optarg; break;
    case P_INDICATOR: s->indicator = optarg; break;
    case P_BY: s->by = optarg; break;
    case P_ROUND: s->round = optarg; break;
    case P_TITLE: s->title = optarg; break;
    case P_SUBTITLE: s->subtitle = optarg; break;
    case P_SOURCE: s->source = optarg; break;
    case P_SIZE: a->size = optarg; break;
    case P_FONT: s->font = optarg; break;
    case P_YEARS: a->years = optarg; break;
    case P_ROUND_NAMES: a->round_names = optarg; break;
    case P_LEVEL: a->level = optarg; break;
    case P_ADJUST: s->adjustment = optarg; break;
    case P_SCALE: a->scale = optarg; break;
    case P_ANALYSIS: a->analysis = optarg; break;
    case 'o': s->output = optarg; break;
    case P_HELP: fputs(plot_usage, stdout); return 0;
    default: return cli_getopt_error("plot", c, argv);
    }
    return -1;
}

/* The option values that need parsing; returns -1 or an exit code. */
static int parse_values(plot_args_t *a)
{
    graft_chart_spec_t *s = &a->spec;
    if (!a->kind)
        return cli_usage_error("plot: --kind is required (bar, dumbbell, "
                               "trend, heatmap, forest, power, mde, sae or "
                               "sae-resid)");
    if (!graft_chart_kind_parse(a->kind, &s->kind))
        return cli_usage_error("--kind: '%s' must be bar, dumbbell, trend, "
                               "heatmap, forest, power, mde, sae or sae-resid",
                               a->kind);
    if (!s->output)
        return cli_usage_error("plot: -o OUT.png (or .svg, .pdf) is "
                               "required");
    graft_chart_format_t format;
    if (!graft_chart_format_of(s->output, &format))
        return cli_usage_error("-o: '%s' must end in .png, .svg or .pdf",
                               s->output);
    if (a->size && !graft_chart_size_parse(a->size, &s->width, &s->height))
        return cli_usage_error("--size: '%s' must be WIDTHxHEIGHT in pixels, "
                               "each 100 to 10000 (e.g. 1000x600)",
                               a->size);
    if (a->years) {
        s->n_years = graft_chart_years_parse(a->years, a->year_values, 64);
        if (!s->n_years)
            return cli_usage_error("--years: '%s' must be numbers separated "
                                   "by commas (e.g. 2018,2020,2022)",
                                   a->years);
        s->years = a->year_values;
    }
    int status;
    if (a->level && (status = cli_level_flag(a->level, &s->level)) >= 0)
        return status;
    if (a->scale && !graft_chart_scale_parse(a->scale, &s->scale))
        return cli_usage_error("--scale: '%s' must be auto, percent or raw",
                               a->scale);
    if (a->round_names) {
        snprintf(a->names_buf, sizeof a->names_buf, "%s", a->round_names);
        char *comma = strchr(a->names_buf, ',');
        if (!comma || strchr(comma + 1, ','))
            return cli_usage_error("--round-names: '%s' must be two names "
                                   "separated by a comma",
                                   a->round_names);
        *comma = '\0';
        s->baseline_label = a->names_buf;
        s->followup_label = comma + 1;
    }
    return -1;
}

static int parse_args(int argc, char **argv, plot_args_t *a)
{
    int c, status;
    memset(a, 0, sizeof *a);
    graft_chart_spec_init(&a->spec);
    cli_parse_begin(NULL);
    while ((c = getopt_long(argc, argv, ":o:", plot_options, NULL)) != -1)
        if ((status = take_option(c, argv, a)) >= 0)
            return status;
    if (optind >= argc)
        return cli_usage_error("plot: no input file (a CSV from graft "
                               "estimate, compare or trend)");
    if (optind + 1 < argc)
        return cli_usage_error("plot: one input file only ('%s' is extra)",
                               argv[optind + 1]);
    a->spec.input = argv[optind];
    return parse_values(a);
}

/* The chart and the .gp and .dat files written beside it (the chart's
 * name with its extension replaced) may not be a file plot reads: its
 * input CSV or the analysis file.  Returns -1, or the exit code. */
static int check_outputs(const plot_args_t *a)
{
    static const char *const exts[] = {".gp", ".dat"};
    const char *out = a->spec.output;
    const char *slash = strrchr(out, '/');
    const char *dot = strrchr(slash ? slash + 1 : out, '.');
    int stem = (int)(dot ? (size_t)(dot - out) : strlen(out));
    int status;
    if ((status = cli_output_not_file(out, a->spec.input, "input CSV")) >= 0 ||
        (status = cli_output_not_file(out, a->analysis, "analysis file")) >=
            0)
        return status;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t size = strlen(out) + 8;
        char *path = malloc(size);
        if (!path)
            return cli_nomem();
        snprintf(path, size, "%.*s%s", stem, out, exts[i]);
        const char *input = cli_same_file(path, a->spec.input) ? a->spec.input
                            : cli_same_file(path, a->analysis) ? a->analysis
                                                               : NULL;
        if (input)
            status = cli_usage_error("-o %s writes %s beside it, which is "
                                     "the input %s: refusing to overwrite it",
                                     out, path, input);
        free(path);
        if (input)
            return status;
    }
    return -1;
}

int cmd_plot(int argc, char **argv)
{
    plot_args_t a;
    graft_analysis_t *analysis = NULL;
    graft_diag_t diag;
    int status = parse_args(argc, argv, &a);
    if (status >= 0 || (status = check_outputs(&a)) >= 0)
        return status;
    graft_diag_clear(&diag);
    if (a.analysis &&
        graft_analysis_load(a.analysis, &analysis, &diag) != GRAFT_OK)
        return cli_fail(&diag);
    a.spec.analysis = analysis;
    a.spec.gnuplot = cli_env_gnuplot();
    status = graft_chart_render(&a.spec, &diag) == GRAFT_OK ? GRAFT_EXIT_OK
                                                            : cli_fail(&diag);
    graft_analysis_free(analysis);
    return status;
}
