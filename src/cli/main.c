/*
 * main.c - the graft command: dispatch to a subcommand.
 */
#include "cli.h"

#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char main_usage[] =
    "usage: graft COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  describe   columns, weights, strata and PSUs of a survey file\n"
    "  estimate   prevalence, means and totals by domain, with design-based\n"
    "             standard errors, intervals and reliability flags\n"
    "  compare    baseline against follow-up: differences, tests, adjusted\n"
    "             p-values\n"
    "  trend      three or more rounds: changes and a linear trend test\n"
    "  model      design-based regression (linear, logistic, Poisson):\n"
    "             coefficients, odds ratios, Wald tests\n"
    "  run        an analysis file: estimates, comparisons, charts, report\n"
    "  plot       a chart (bar, dumbbell, trend, heatmap) from graft's CSV\n"
    "  replicate  make replicate weights (jk1, jkn, brr, fay, bootstraps)\n"
    "  weight     calibrate weights to population margins (post-stratify,\n"
    "             rake, GREG, bounded) and trim them\n"
    "  simulate   write the demo bribery-experience survey (CSV)\n"
    "  plan       sample size and detectable change for the next round\n"
    "  sae        small-area estimates: Fay-Herriot EBLUP and MSE by area\n"
    "  version    the version of graft (also --version)\n"
    "\n"
    "graft COMMAND --help shows a command's options; man graft-COMMAND\n"
    "explains them, man graft the exit codes and environment, and\n"
    "man graft-survey and man graft-analysis the file formats.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command_t;

static const command_t commands[] = {
    {"describe", cmd_describe},
    {"simulate", cmd_simulate},
    {"estimate", cmd_estimate},
    {"compare", cmd_compare},
    {"trend", cmd_trend},
    {"model", cmd_model},
    {"run", cmd_run},
    {"replicate", cmd_replicate},
    {"weight", cmd_weight},
    {"plot", cmd_plot},
    {"plan", cmd_plan},
    {"sae", cmd_sae},
};

/* ---- the environment (the library reads none) ------------------------ */

unsigned cli_env_threads(void)
{
    const char *env = getenv("GRAFT_THREADS");
    return env && strcmp(env, "1") == 0 ? 1 : 0;
}

const char *cli_env_gnuplot(void)
{
    const char *env = getenv("GRAFT_GNUPLOT");
    return env && *env ? env : NULL;
}

/* ---- signals: a killed command leaves no temporary file ------------- */

static pid_t main_pid;

/* Remove every temporary, then die of SIG (the default action: the shell
 * sees 128 + SIG).  A child between fork and exec removes nothing. */
static void on_signal(int sig)
{
    if (getpid() == main_pid)
        graft_tmp_remove_all();
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

static void install_signal_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_NODEFER | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    main_pid = getpid();
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* a signal ignored by our parent (nohup) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    install_signal_handlers();
    if (argc < 2)
        return cli_usage_error("no command given\n%s", main_usage);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(main_usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("graft %s\n", graft_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    return cli_usage_error("unknown command '%s' (try graft --help)",
                           argv[1]);
}
