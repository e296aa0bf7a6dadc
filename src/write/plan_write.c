/*
 * plan_write.c - `graft plan` tables through the table writer
 * (write/table_writer.h): full precision in CSV and JSON, rounded numbers
 * in text and Markdown.
 */
#include "graft/plan.h"
#include "write/table_writer.h"
#include "write/xlsx_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    F_IND, F_DOMAIN, F_P1, F_P2, F_DEFF, F_POWER, F_ALPHA, F_CORR, F_ROWS,
    F_PSUS, F_M, F_RHO, F_TAKE, F_DEFF_TAKE, F_NEXACT, F_N, F_P2LOW,
    F_P2HIGH, F_MDEDEC, F_MDEINC, F_SHARE, F_INTERVIEWS, F_PSUS_NEEDED,
    F_FLAG, N_FIELDS
};

typedef struct plan_col {
    const char *name;
    int field;
    graft_tcol_kind_t kind;
    int digits; /* text: significant digits; 0 rounds up to an integer */
} plan_col_t;

static const plan_col_t size_cols[] = {
    {"p1", F_P1, GRAFT_TCOL_REAL, 4}, {"p2", F_P2, GRAFT_TCOL_REAL, 4},
    {"deff", F_DEFF, GRAFT_TCOL_REAL, 4},
    {"power", F_POWER, GRAFT_TCOL_REAL, 4},
    {"alpha", F_ALPHA, GRAFT_TCOL_REAL, 4},
    {"correlation", F_CORR, GRAFT_TCOL_REAL, 4},
    {"n_exact", F_NEXACT, GRAFT_TCOL_REAL, 8},
    {"n", F_N, GRAFT_TCOL_REAL, 0},
};

static const plan_col_t mde_cols[] = {
    {"p1", F_P1, GRAFT_TCOL_REAL, 4}, {"n", F_N, GRAFT_TCOL_REAL, 0},
    {"deff", F_DEFF, GRAFT_TCOL_REAL, 4},
    {"power", F_POWER, GRAFT_TCOL_REAL, 4},
    {"alpha", F_ALPHA, GRAFT_TCOL_REAL, 4},
    {"correlation", F_CORR, GRAFT_TCOL_REAL, 4},
    {"p2_low", F_P2LOW, GRAFT_TCOL_REAL, 4},
    {"p2_high", F_P2HIGH, GRAFT_TCOL_REAL, 4},
    {"mde_decrease", F_MDEDEC, GRAFT_TCOL_REAL, 4},
    {"mde_increase", F_MDEINC, GRAFT_TCOL_REAL, 4},
};

static const plan_col_t base_cols[] = {
    {"indicator", F_IND, GRAFT_TCOL_TEXT, 0},
    {"domain", F_DOMAIN, GRAFT_TCOL_TEXT, 0},
    {"p1", F_P1, GRAFT_TCOL_REAL, 4}, {"deff", F_DEFF, GRAFT_TCOL_REAL, 4},
    {"power", F_POWER, GRAFT_TCOL_REAL, 4},
    {"alpha", F_ALPHA, GRAFT_TCOL_REAL, 4},
    {"correlation", F_CORR, GRAFT_TCOL_REAL, 4},
    {"rows", F_ROWS, GRAFT_TCOL_COUNT, 0},
    {"psus", F_PSUS, GRAFT_TCOL_COUNT, 0}, {"m", F_M, GRAFT_TCOL_REAL, 4},
    {"rho", F_RHO, GRAFT_TCOL_REAL, 4}, {"take", F_TAKE, GRAFT_TCOL_REAL, 4},
    {"deff_take", F_DEFF_TAKE, GRAFT_TCOL_REAL, 4},
    {"p2", F_P2, GRAFT_TCOL_REAL, 4},
    {"n_exact", F_NEXACT, GRAFT_TCOL_REAL, 8},
    {"n", F_N, GRAFT_TCOL_REAL, 0},
    {"p2_low", F_P2LOW, GRAFT_TCOL_REAL, 4},
    {"p2_high", F_P2HIGH, GRAFT_TCOL_REAL, 4},
    {"mde_decrease", F_MDEDEC, GRAFT_TCOL_REAL, 4},
    {"mde_increase", F_MDEINC, GRAFT_TCOL_REAL, 4},
    {"share", F_SHARE, GRAFT_TCOL_REAL, 4},
    {"interviews", F_INTERVIEWS, GRAFT_TCOL_REAL, 0},
    {"psus_needed", F_PSUS_NEEDED, GRAFT_TCOL_REAL, 0},
    {"flag", F_FLAG, GRAFT_TCOL_TEXT, 0},
};

static void plan_values(const graft_plan_row_t *r, const graft_plan_opts_t *o,
                        double *x, size_t *cnt)
{
    for (int i = 0; i < N_FIELDS; i++)
        x[i] = NAN;
    x[F_P1] = r->p1, x[F_P2] = r->p2, x[F_DEFF] = r->deff;
    x[F_POWER] = o->power, x[F_ALPHA] = o->alpha, x[F_CORR] = o->correlation;
    x[F_M] = r->m, x[F_RHO] = r->rho, x[F_TAKE] = r->take;
    x[F_DEFF_TAKE] = r->deff_take, x[F_NEXACT] = r->n_exact, x[F_N] = r->n;
    x[F_P2LOW] = r->p2_low, x[F_P2HIGH] = r->p2_high;
    x[F_MDEDEC] = r->mde_decrease, x[F_MDEINC] = r->mde_increase;
    x[F_SHARE] = r->share, x[F_INTERVIEWS] = r->interviews;
    x[F_PSUS_NEEDED] = r->psus_needed;
    cnt[F_ROWS] = r->rows, cnt[F_PSUS] = r->psus;
}

/* A number as text and Markdown show it: DIGITS significant digits, or
 * rounded up to a whole number (0). */
static void plan_human(char *buf, size_t size, double v, int digits)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (digits == 0)
        snprintf(buf, size, "%.0f", ceil(v));
    else
        snprintf(buf, size, "%.*g", digits, v);
}

/* Proportions, shown in percent in a workbook. */
static int plan_pct(int field)
{
    switch (field) {
    case F_P1: case F_P2: case F_P2LOW: case F_P2HIGH: case F_MDEDEC:
    case F_MDEINC: case F_POWER: case F_ALPHA:
        return 1;
    default:
        return 0;
    }
}

/* To FP in FORMAT, or (WB not NULL) as the sheet SHEET of WB. */
static graft_error_t write_to(FILE *fp, graft_workbook_t *wb,
                              const char *sheet, const graft_plan_row_t *rows,
                              size_t n_rows, graft_plan_kind_t kind,
                              const graft_plan_opts_t *o,
                              graft_table_format_t format, graft_diag_t *diag)
{
    const plan_col_t *pc = kind == GRAFT_PLAN_SIZE  ? size_cols
                           : kind == GRAFT_PLAN_MDE ? mde_cols
                                                    : base_cols;
    size_t nc = kind == GRAFT_PLAN_SIZE  ? sizeof size_cols / sizeof *pc
                : kind == GRAFT_PLAN_MDE ? sizeof mde_cols / sizeof *pc
                                         : sizeof base_cols / sizeof *pc;
    int human = format == GRAFT_TABLE_TEXT || format == GRAFT_TABLE_MD;
    graft_tcol_t cols[N_FIELDS + 3];
    for (size_t i = 0; i < nc; i++) {
        int text = human || pc[i].kind == GRAFT_TCOL_TEXT;
        cols[i] = (graft_tcol_t){
            .name = pc[i].name, .field = (size_t)pc[i].field,
            .kind = text && pc[i].kind != GRAFT_TCOL_COUNT ? GRAFT_TCOL_TEXT
                                                           : pc[i].kind,
            .gap = i ? "  " : NULL,
            .width = pc[i].kind == GRAFT_TCOL_TEXT ? -14 : 12,
            .md_right = pc[i].kind != GRAFT_TCOL_TEXT};
    }
    graft_table_t t;
    graft_table_begin_to(&t, fp, wb, sheet, format, cols, nc);
    for (size_t r = 0; r < n_rows; r++) {
        double x[N_FIELDS];
        size_t cnt[N_FIELDS] = {0};
        char buf[N_FIELDS][40];
        graft_tcell_t cells[N_FIELDS];
        memset(cells, 0, sizeof cells);
        plan_values(&rows[r], o, x, cnt);
        for (int f = 0; f < N_FIELDS; f++) {
            cells[f].x = x[f];
            cells[f].n = cnt[f];
            cells[f].pct = (unsigned char)plan_pct(f);
        }
        for (size_t i = 0; human && i < nc; i++)
            if (pc[i].kind == GRAFT_TCOL_REAL) {
                plan_human(buf[pc[i].field], sizeof buf[0], x[pc[i].field],
                           pc[i].digits);
                cells[pc[i].field].s = buf[pc[i].field];
            }
        cells[F_IND].s = rows[r].indicator;
        cells[F_DOMAIN].s = rows[r].domain;
        cells[F_FLAG].s = rows[r].flag;
        t.mark = graft_tmark_of_flag(rows[r].flag);
        graft_table_row(&t, cells);
    }
    graft_error_t rc = graft_table_end(&t, NULL, NULL, diag);
    if (rc == GRAFT_OK && wb) {
        static const char *const kinds[] = {
            "sample size (--p1 --p2)", "detectable change (--p1 --n)",
            "from a survey's baseline"};
        const char *name = graft_xlsx_sheet(&t);
        rc = graft_workbook_note(wb, name, "plan", kinds[kind], diag);
        if (rc == GRAFT_OK)
            rc = graft_xlsx_note_f(wb, name, "power", diag, "%g", o->power);
        if (rc == GRAFT_OK)
            rc = graft_xlsx_note_f(wb, name, "alpha (two-sided)", diag, "%g",
                                   o->alpha);
        if (rc == GRAFT_OK)
            rc = graft_xlsx_note_f(wb, name, "correlation", diag, "%g",
                                   o->correlation);
    }
    return rc;
}

graft_error_t graft_plan_write(FILE *fp, const graft_plan_row_t *rows,
                               size_t n_rows, graft_plan_kind_t kind,
                               const graft_plan_opts_t *o,
                               graft_table_format_t format,
                               graft_diag_t *diag)
{
    return write_to(fp, NULL, NULL, rows, n_rows, kind, o, format, diag);
}

graft_error_t graft_plan_sheet(graft_workbook_t *wb, const char *sheet,
                               const graft_plan_row_t *rows, size_t n_rows,
                               graft_plan_kind_t kind,
                               const graft_plan_opts_t *o, graft_diag_t *diag)
{
    return write_to(NULL, wb, sheet, rows, n_rows, kind, o, GRAFT_TABLE_XLSX,
                    diag);
}
