/*
 * test_manual.c - the manual does not drift from the program.
 *
 * For every command, the long options (and -o) that `graft CMD --help`
 * lists are exactly those man/graft-CMD.1 documents in its OPTIONS
 * section, both ways; every value a --help line lists as a|b|c appears in
 * the man page's entry for that option; graft's parser accepts every
 * option a man page documents (it is not reported as unknown); the
 * commands of `graft --help` are exactly those of graft.1's COMMANDS
 * section and exactly the man/graft-CMD.1 pages.  Every man page renders
 * with `man --warnings` silent, every graft-NAME(N) a page cites exists,
 * and every relative link of README.md and docs/NAME.md names a file of the
 * repository.  Every section and key graft-analysis(5) and graft-survey(5)
 * document is one graft reads (no "unknown key" when a file has it), and
 * every section or key graft's errors list as expected ("unknown section
 * [x] (expected ...)") is documented.
 *
 * How --help is read: an option line is a line that starts with spaces
 * and then '-'; its options are the leading "-x"/"--name" tokens, each
 * optionally followed by one metavariable (a word starting with an upper
 * case letter, '"' or '['), several joined by ", " ("-o DIR, --output
 * DIR").  Lines that do not start with '-' after the indent continue the
 * description.  How a man page is read: in the OPTIONS section (up to the
 * next .SH), the line after each .TP is the tag; its \-\-name and \-x
 * tokens are the options, the lines up to the next .TP, .SS or .SH their
 * description.
 *
 * So a new command needs man/graft-NAME.1 and an entry under COMMANDS in
 * man/graft.1; a new option, or a new value in an a|b|c list of --help
 * (an xlsx for --format), needs its entry in the command's OPTIONS.  The
 * commands come from `graft --help`: nothing here lists them.
 */
#define _GNU_SOURCE
#include "test_spawn.h"

#include <ctype.h>
#include <dirent.h>
#include <glob.h>

#define MAX_OPTS 96
#define NAME_LEN 48
#define DESC_LEN 2048

typedef struct opt_entry {
    char name[NAME_LEN]; /* "--weight", "-o" */
    char desc[DESC_LEN]; /* description text, roff removed */
} opt_entry_t;

typedef struct opt_set {
    opt_entry_t e[MAX_OPTS];
    size_t n;
} opt_set_t;

#define MAX_COMMANDS 64
#define MIN_COMMANDS 12 /* describe ... version, as of 0.2.0 */

/* The commands `graft --help` lists under "commands:" into CMDS. */
static size_t help_commands(char cmds[MAX_COMMANDS][NAME_LEN])
{
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "--help", NULL);
    assert_int_equal(res->status, 0);
    size_t n = 0;
    const char *p = strstr(res->out, "\ncommands:\n");
    if (!p)
        fail_msg("graft --help has no 'commands:' line");
    for (p += 11; *p && *p != '\n';) {
        const char *end = strchr(p, '\n');
        if (!end)
            end = p + strlen(p);
        if (p[0] == ' ' && p[1] == ' ' && islower((unsigned char)p[2])) {
            size_t len = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz-");
            assert_true(n < MAX_COMMANDS && len < NAME_LEN);
            snprintf(cmds[n++], NAME_LEN, "%.*s", (int)len, p + 2);
        }
        p = *end ? end + 1 : end;
    }
    free(res);
    if (n < MIN_COMMANDS)
        fail_msg("graft --help lists %zu commands, fewer than %d", n,
                 MIN_COMMANDS);
    return n;
}

static opt_entry_t *set_find(opt_set_t *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0)
            return &s->e[i];
    return NULL;
}

static opt_entry_t *set_add(opt_set_t *s, const char *name, size_t len)
{
    char buf[NAME_LEN];
    assert_true(len > 0 && len < NAME_LEN);
    memcpy(buf, name, len);
    buf[len] = '\0';
    opt_entry_t *e = set_find(s, buf);
    if (e)
        return e;
    assert_true(s->n < MAX_OPTS);
    e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    strcpy(e->name, buf);
    return e;
}

static void desc_add(opt_entry_t *e, const char *text, size_t len)
{
    size_t have = strlen(e->desc);
    if (have + len + 2 >= DESC_LEN)
        len = DESC_LEN - have - 2;
    e->desc[have] = ' ';
    memcpy(e->desc + have + 1, text, len);
    e->desc[have + 1 + len] = '\0';
}

/* ---- --help ---------------------------------------------------------- */

static int is_metavar(const char *p)
{
    return isupper((unsigned char)*p) || *p == '"' || *p == '[';
}

/* The options of the --help text HELP. */
static void help_options(const char *help, opt_set_t *s)
{
    opt_entry_t *last = NULL;
    memset(s, 0, sizeof *s);
    for (const char *line = help; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *p = line;
        while (p < end && *p == ' ')
            p++;
        if (p > line && p < end && *p == '-') {
            /* the leading options of an option line */
            opt_entry_t *first = NULL;
            for (;;) {
                const char *t = p;
                while (p < end && *p != ' ' && *p != ',')
                    p++;
                opt_entry_t *e = set_add(s, t, (size_t)(p - t));
                if (!first)
                    first = e;
                int more = p < end && *p == ',';
                if (!more && p + 1 < end && *p == ' ' && is_metavar(p + 1)) {
                    p++; /* one metavariable, maybe quoted with spaces */
                    char q = *p == '"' ? '"' : 0;
                    p++;
                    while (p < end && (q ? *p != q : (*p != ' ' && *p != ',')))
                        p++;
                    if (q && p < end)
                        p++;
                    more = p < end && *p == ',';
                }
                if (!more)
                    break;
                p++; /* the comma */
                while (p < end && *p == ' ')
                    p++;
                if (p >= end || *p != '-')
                    break;
            }
            last = first;
            desc_add(last, p, (size_t)(end - p));
        } else if (p > line && p < end && last) {
            desc_add(last, p, (size_t)(end - p)); /* a continuation */
        } else {
            last = NULL;
        }
        line = *end ? end + 1 : end;
    }
}

/* ---- man pages -------------------------------------------------------- */

/* TEXT without roff escapes: \fB, \fI, \fR, \fP, \& dropped; \- and \e
 * as - and \. */
static void unroff(const char *text, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < size; i++) {
        if (text[i] == '\\' && i + 1 < len) {
            char c = text[i + 1];
            if (c == 'f' && i + 2 < len) {
                i += 2;
                continue;
            }
            if (c == '&') {
                i++;
                continue;
            }
            out[n++] = c == 'e' ? '\\' : c; /* \- and others */
            i++;
            continue;
        }
        out[n++] = text[i];
    }
    out[n] = '\0';
}

/* The section .SH NAME of the man page TEXT: [*FROM, *TO); 0 when the page
 * has none. */
static int man_section(const char *text, const char *name, const char **from,
                       const char **to)
{
    char head[64];
    snprintf(head, sizeof head, "\n.SH %s\n", name);
    const char *p = strstr(text, head);
    if (!p)
        return 0;
    *from = p + strlen(head);
    const char *q = strstr(*from, "\n.SH ");
    *to = q ? q + 1 : *from + strlen(*from);
    return 1;
}

/* The options documented in the OPTIONS section of the man page TEXT. */
static void man_options(const char *text, opt_set_t *s)
{
    const char *from, *to;
    memset(s, 0, sizeof *s);
    if (!man_section(text, "OPTIONS", &from, &to))
        return;
    opt_entry_t *cur[8];
    size_t n_cur = 0;
    for (const char *line = from; line < to;) {
        const char *end = memchr(line, '\n', (size_t)(to - line));
        if (!end)
            end = to;
        if (strncmp(line, ".TP", 3) == 0 && end + 1 < to) {
            /* the tag */
            const char *tag = end + 1;
            const char *tend = memchr(tag, '\n', (size_t)(to - tag));
            if (!tend)
                tend = to;
            n_cur = 0;
            char buf[512];
            unroff(tag, (size_t)(tend - tag), buf, sizeof buf);
            for (const char *p = buf; *p; p++) {
                if (*p != '-' || (p > buf && p[-1] != ' ' && p[-1] != ','))
                    continue;
                size_t k = strspn(p, "-abcdefghijklmnopqrstuvwxyz0123456789_");
                if (k >= 2 && n_cur < 8)
                    cur[n_cur++] = set_add(s, p, k);
                p += k - 1;
            }
            line = tend < to ? tend + 1 : to;
            continue;
        }
        if (strncmp(line, ".SS", 3) == 0 || strncmp(line, ".SH", 3) == 0)
            n_cur = 0;
        else
            for (size_t i = 0; i < n_cur; i++) {
                char buf[1024];
                unroff(line, (size_t)(end - line), buf, sizeof buf);
                desc_add(cur[i], buf, strlen(buf));
            }
        line = end < to ? end + 1 : to;
    }
}

static char *man_page(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "man/%s", name);
    char *text = test_slurp(path, NULL);
    if (!text)
        fail_msg("%s is missing: every command needs its man page "
                 "(tests run from the repository root)",
                 path);
    return text;
}

/* ---- the checks -------------------------------------------------------- */

static int word_in(const char *text, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
        int before = p == text || !(isalnum((unsigned char)p[-1]) ||
                                    p[-1] == '-' || p[-1] == '_');
        char a = p[len];
        int after = !(isalnum((unsigned char)a) || a == '-' || a == '_');
        if (before && after)
            return 1;
    }
    return 0;
}

/* Every value of a|b|c lists in HELP's description of an option is in
 * the man page's description of it. */
static int check_values(const char *cmd, const opt_entry_t *h,
                        const opt_entry_t *m, const char *page)
{
    int bad = 0;
    const char *d = h->desc;
    while (*d) {
        size_t len = strcspn(d, " (),;");
        if (len && memchr(d, '|', len)) {
            char tok[256];
            snprintf(tok, sizeof tok, "%.*s", (int)len, d);
            int lower = 1;
            for (char *c = tok; *c; c++)
                if (isupper((unsigned char)*c))
                    lower = 0;
            for (char *v = tok; lower && *v;) {
                size_t vl = strcspn(v, "|");
                char word[64];
                snprintf(word, sizeof word, "%.*s", (int)vl, v);
                if (*word && !word_in(m->desc, word)) {
                    print_error("graft %s --help lists the value '%s' of %s, "
                                "but man/%s does not mention it in %s's "
                                "entry\n",
                                cmd, word, h->name, page, h->name);
                    bad++;
                }
                v += vl + (v[vl] == '|');
            }
        }
        d += len ? len : 1;
    }
    return bad;
}

/* graft CMD NAME (no value) is not reported as an unknown option. */
static int check_accepted(const char *cmd, const char *name, const char *page)
{
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, cmd, name, NULL);
    int bad = strstr(res->err, "unknown option") != NULL;
    if (bad)
        print_error("man/%s documents %s, but graft %s does not accept it: "
                    "%s",
                    page, name, cmd, res->err);
    free(res);
    return bad;
}

static void test_options_agree(void **state)
{
    (void)state;
    int bad = 0;
    static char cmds[MAX_COMMANDS][NAME_LEN];
    size_t n_cmds = help_commands(cmds);
    for (size_t c = 0; c < n_cmds; c++) {
        const char *cmd = cmds[c];
        char page[64];
        snprintf(page, sizeof page, "graft-%.40s.1", cmd);
        spawn_result_t *res = malloc(sizeof *res);
        assert_non_null(res);
        spawn_graft(res, cmd, "--help", NULL);
        if (res->status != 0)
            fail_msg("graft %s --help exited %d: %s", cmd, res->status,
                     res->err);
        static opt_set_t help, man;
        help_options(res->out, &help);
        free(res);
        char *text = man_page(page);
        man_options(text, &man);
        free(text);
        for (size_t i = 0; i < help.n; i++) {
            opt_entry_t *m = set_find(&man, help.e[i].name);
            if (!m) {
                print_error("graft %s --help lists %s, but man/%s does not "
                            "document it in OPTIONS\n",
                            cmd, help.e[i].name, page);
                bad++;
            } else
                bad += check_values(cmd, &help.e[i], m, page);
        }
        for (size_t i = 0; i < man.n; i++) {
            if (!set_find(&help, man.e[i].name)) {
                print_error("man/%s documents %s in OPTIONS, but graft %s "
                            "--help does not list it\n",
                            page, man.e[i].name, cmd);
                bad++;
            }
            bad += check_accepted(cmd, man.e[i].name, page);
        }
    }
    if (bad)
        fail_msg("%d disagreements between --help and the man pages", bad);
}

/* The test can fail: an unknown option is reported as one, and the
 * parsers find what they should in known text. */
static void test_checks_can_fail(void **state)
{
    (void)state;
    spawn_result_t *res = malloc(sizeof *res);
    assert_non_null(res);
    spawn_graft(res, "estimate", "--no-such-option", NULL);
    assert_non_null(strstr(res->err, "unknown option"));
    free(res);

    static opt_set_t s;
    help_options("usage: graft x [--a]\n"
                 "  --alpha A          one|two (default one)\n"
                 "                     more text\n"
                 "  -o DIR, --output DIR\n"
                 "           the folder\n"
                 "  --font \"Name,size\" font\n"
                 "  --nest             PSU ids\n"
                 "not an option line\n",
                 &s);
    assert_int_equal(s.n, 5);
    assert_non_null(set_find(&s, "--alpha"));
    assert_non_null(set_find(&s, "-o"));
    assert_non_null(set_find(&s, "--output"));
    assert_non_null(set_find(&s, "--font"));
    assert_non_null(set_find(&s, "--nest"));
    assert_non_null(strstr(set_find(&s, "--alpha")->desc, "more text"));

    man_options(".TH X 1\n.SH NAME\nx\n.SH OPTIONS\n.TP\n"
                "\\fB\\-o\\fR \\fIF\\fR, \\fB\\-\\-output\\fR \\fIF\\fR\n"
                "Write \\fBone\\fR.\n.TP\n"
                "\\fB\\-\\-lonely\\-psu\\fR \\fIP\\fR\n"
                "two\n.SH SEE ALSO\n.TP\n\\fB\\-\\-not\\fR\n",
                &s);
    assert_int_equal(s.n, 3);
    assert_non_null(set_find(&s, "-o"));
    assert_non_null(set_find(&s, "--lonely-psu"));
    assert_null(set_find(&s, "--not"));
    assert_non_null(strstr(set_find(&s, "--output")->desc, "Write one."));
}

/* `graft --help`'s commands, graft.1's COMMANDS and man/graft-CMD.1. */
static void test_commands_agree(void **state)
{
    (void)state;
    int bad = 0;
    static char help_cmds[MAX_COMMANDS][NAME_LEN];
    size_t n_help = help_commands(help_cmds);

    /* graft.1 COMMANDS: the tag after each .TP */
    char *text = man_page("graft.1");
    const char *from, *to;
    assert_true(man_section(text, "COMMANDS", &from, &to));
    char man_cmds[64][NAME_LEN];
    size_t n_man = 0;
    for (const char *q = strstr(from, ".TP\n"); q && q < to;
         q = strstr(q + 1, ".TP\n")) {
        char buf[256];
        const char *tag = q + 4, *end = strchr(tag, '\n');
        unroff(tag, (size_t)(end - tag), buf, sizeof buf);
        assert_true(n_man < 64);
        snprintf(man_cmds[n_man++], NAME_LEN, "%.*s",
                 (int)strcspn(buf, " "), buf);
    }
    free(text);

    for (size_t i = 0; i < n_help; i++) {
        int found = 0;
        for (size_t j = 0; j < n_man; j++)
            found |= strcmp(help_cmds[i], man_cmds[j]) == 0;
        if (!found) {
            print_error("graft --help lists the command '%s', but graft.1's "
                        "COMMANDS section does not\n",
                        help_cmds[i]);
            bad++;
        }
        char path[128];
        snprintf(path, sizeof path, "man/graft-%.64s.1", help_cmds[i]);
        if (access(path, R_OK) != 0) {
            print_error("graft --help lists the command '%s', but %s does "
                        "not exist\n",
                        help_cmds[i], path);
            bad++;
        }
    }
    for (size_t j = 0; j < n_man; j++) {
        int found = 0;
        for (size_t i = 0; i < n_help; i++)
            found |= strcmp(help_cmds[i], man_cmds[j]) == 0;
        if (!found) {
            print_error("graft.1's COMMANDS section lists '%s', but graft "
                        "--help does not\n",
                        man_cmds[j]);
            bad++;
        }
    }
    glob_t g;
    assert_int_equal(glob("man/graft-*.1", 0, NULL, &g), 0);
    for (size_t k = 0; k < g.gl_pathc; k++) {
        const char *name = g.gl_pathv[k] + strlen("man/graft-");
        size_t len = strlen(name) - 2;
        int found = 0;
        for (size_t i = 0; i < n_help; i++)
            found |= strlen(help_cmds[i]) == len &&
                     strncmp(help_cmds[i], name, len) == 0;
        if (!found) {
            print_error("%s is a man page of a command graft --help does not "
                        "list\n",
                        g.gl_pathv[k]);
            bad++;
        }
    }
    globfree(&g);
    if (bad)
        fail_msg("%d disagreements between graft --help and the manual",
                 bad);
}

/* ---- survey and analysis files against graft-survey(5), graft-analysis(5) */

typedef struct ini_key {
    char section[64]; /* "indicator.NAME" */
    char key[64];     /* "expr"; "" for the section itself */
} ini_key_t;

#define MAX_KEYS 160

/* The sections (.SS [NAME]) and keys (the "key = VALUE" of each .TP tag)
 * that the section-5 page TEXT documents. */
static size_t man_ini_keys(const char *text, ini_key_t *out)
{
    size_t n = 0;
    char section[64] = "";
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if (strncmp(line, ".SS [", 5) == 0) {
            const char *close = memchr(line, ']', (size_t)(end - line));
            assert_non_null(close);
            snprintf(section, sizeof section, "%.*s",
                     (int)(close - line - 5), line + 5);
            assert_true(n < MAX_KEYS);
            snprintf(out[n].section, sizeof out[n].section, "%s", section);
            out[n++].key[0] = '\0';
        } else if (strncmp(line, ".SH", 3) == 0) {
            section[0] = '\0';
        } else if (strncmp(line, ".TP", 3) == 0 && *section && *end) {
            char tag[512];
            const char *t = end + 1, *tend = strchr(t, '\n');
            if (!tend)
                tend = t + strlen(t);
            unroff(t, (size_t)(tend - t), tag, sizeof tag);
            for (char *item = tag; item && *item;) {
                char *next = strstr(item, ", ");
                if (next)
                    *next = '\0';
                char *eq = strstr(item, " = ");
                if (eq) {
                    assert_true(n < MAX_KEYS);
                    snprintf(out[n].section, sizeof out[n].section, "%s",
                             section);
                    snprintf(out[n].key, sizeof out[n].key, "%.*s",
                             (int)(eq - item), item);
                    n++;
                }
                item = next ? next + 2 : NULL;
            }
        }
        line = *end ? end + 1 : end;
    }
    return n;
}

static int has_upper(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return 1;
    return 0;
}

/* SECTION as it can be written: "indicator.NAME" as "indicator.x". */
static void concrete_section(const char *section, char *out, size_t size)
{
    const char *dot = strchr(section, '.');
    if (dot && has_upper(dot + 1))
        snprintf(out, size, "%.*s.x", (int)(dot - section), section);
    else
        snprintf(out, size, "%s", section);
}

/* Run graft on a file of BODY: an analysis file (with an indicator, read
 * by graft estimate) or, when !ANALYSIS, a survey file (graft describe). */
static void ini_run(int analysis, const char *body, spawn_result_t *res)
{
    char dir[] = "/tmp/graft_manual_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/f.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (analysis)
        fputs("[indicator.t]\nexpr = paid_police\n", f);
    fputs(body, f);
    assert_int_equal(fclose(f), 0);
    if (analysis)
        spawn_graft(res, "estimate", "surveys/demo/round1.ini", "--analysis",
                    path, NULL);
    else
        spawn_graft(res, "describe", path, NULL);
    unlink(path);
    rmdir(dir);
}

/* The items of the list in an error's "(expected a, b or c)" or
 * "setting (a, b, c)", into ITEMS; their number. */
static size_t expected_list(const char *err, char items[32][64])
{
    const char *p = strstr(err, "(expected ");
    if (p)
        p += 10;
    else if ((p = strstr(err, "setting (")))
        p += 9;
    else
        return 0;
    size_t n = 0;
    while (*p && *p != ')' && n < 32) {
        size_t len = strcspn(p, ",)");
        const char *or = strstr(p, " or ");
        if (or && or < p + len)
            len = (size_t)(or - p);
        snprintf(items[n++], 64, "%.*s", (int)len, p);
        p += len;
        if (strncmp(p, ", ", 2) == 0)
            p += 2;
        else if (strncmp(p, " or ", 4) == 0)
            p += 4;
    }
    return n;
}

static int ini_documented(const ini_key_t *keys, size_t n,
                          const char *section, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].section, section) == 0 &&
            strcmp(keys[i].key, key) == 0)
            return 1;
    return 0;
}

/* Every section and key PAGE documents is one graft reads (no "unknown"
 * error), and every section or key graft's errors list as expected is
 * documented. */
static int check_ini_page(const char *page, int analysis)
{
    static ini_key_t keys[MAX_KEYS];
    static spawn_result_t res;
    char *text = man_page(page);
    size_t n = man_ini_keys(text, keys);
    free(text);
    assert_true(n > 10);
    int bad = 0;
    char body[256], sec[64], items[32][64];

    ini_run(analysis, "[no_such_section]\nk = 1\n", &res);
    size_t m = expected_list(res.err, items);
    if (m == 0)
        fail_msg("an unknown section gave no list of sections: %s", res.err);
    for (size_t i = 0; i < m; i++)
        if (!ini_documented(keys, n, items[i], "")) {
            print_error("graft reads the section [%s], but man/%s has no "
                        ".SS [%s]\n",
                        items[i], page, items[i]);
            bad++;
        }
    for (size_t i = 0; i < n; i++) {
        concrete_section(keys[i].section, sec, sizeof sec);
        if (!keys[i].key[0]) {
            /* the section: graft's list of the keys it expects */
            snprintf(body, sizeof body, "[%s]\nno_such_key = 1\n", sec);
            ini_run(analysis, body, &res);
            if (strstr(res.err, "unknown section")) {
                print_error("man/%s documents [%s], but graft does not read "
                            "it: %s",
                            page, keys[i].section, res.err);
                bad++;
            }
            m = expected_list(res.err, items);
            for (size_t k = 0; k < m; k++)
                if (!ini_documented(keys, n, keys[i].section, items[k])) {
                    print_error("graft reads the key '%s' in [%s], but "
                                "man/%s does not document it\n",
                                items[k], keys[i].section, page);
                    bad++;
                }
            continue;
        }
        if (has_upper(keys[i].key))
            continue; /* NAME = ..., COLUMN = ...: any name */
        snprintf(body, sizeof body, "[%s]\n%s = 1\n", sec, keys[i].key);
        ini_run(analysis, body, &res);
        if (strstr(res.err, "unknown key") ||
            strstr(res.err, "unknown section") ||
            strstr(res.err, "neither a setting")) {
            print_error("man/%s documents '%s' in [%s], but graft does not "
                        "read it: %s",
                        page, keys[i].key, keys[i].section, res.err);
            bad++;
        }
    }
    return bad;
}

static void test_ini_keys_agree(void **state)
{
    (void)state;
    int bad = check_ini_page("graft-analysis.5", 1) +
              check_ini_page("graft-survey.5", 0);
    if (bad)
        fail_msg("%d disagreements between the file parsers and the "
                 "section-5 man pages",
                 bad);
}

/* Every man page renders without a warning, and every graft-NAME(N) it
 * cites exists. */
static void test_pages_render(void **state)
{
    (void)state;
    int bad = 0;
    glob_t g;
    assert_int_equal(glob("man/*.[15]", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= MIN_COMMANDS + 3);
    if (system("command -v man >/dev/null 2>&1") != 0)
        fail_msg("man is not installed (make deps installs man-db)");
    for (size_t k = 0; k < g.gl_pathc; k++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "MANWIDTH=80 man --warnings -E UTF-8 -l '%s' 2>&1 "
                 ">/dev/null",
                 g.gl_pathv[k]);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        char buf[512];
        while (fgets(buf, sizeof buf, f)) {
            print_error("%s: %s", g.gl_pathv[k], buf);
            bad++;
        }
        assert_int_equal(pclose(f), 0);

        char *text = test_slurp_must(g.gl_pathv[k], NULL);
        char *plain = malloc(strlen(text) + 1);
        assert_non_null(plain);
        unroff(text, strlen(text), plain, strlen(text) + 1);
        for (const char *p = strstr(plain, "graft-"); p;
             p = strstr(p + 1, "graft-")) {
            size_t len = strspn(p + 6, "abcdefghijklmnopqrstuvwxyz");
            if (!len || p[6 + len] != '(' ||
                !isdigit((unsigned char)p[7 + len]))
                continue;
            char path[128];
            snprintf(path, sizeof path, "man/graft-%.*s.%c", (int)len, p + 6,
                     p[7 + len]);
            if (access(path, R_OK) != 0) {
                print_error("%s cites graft-%.*s(%c), but %s does not "
                            "exist\n",
                            g.gl_pathv[k], (int)len, p + 6, p[7 + len],
                            path);
                bad++;
            }
        }
        for (const char *p = strstr(plain, "docs/"); p;
             p = strstr(p + 1, "docs/")) {
            char path[128];
            size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                   "OPQRSTUVWXYZ0123456789_-./");
            while (len && p[len - 1] == '.')
                len--;
            snprintf(path, sizeof path, "%.*s", (int)len, p);
            if (access(path, R_OK) != 0) {
                print_error("%s cites %s, which does not exist\n",
                            g.gl_pathv[k], path);
                bad++;
            }
        }
        free(plain);
        free(text);
    }
    globfree(&g);
    if (bad)
        fail_msg("%d problems in the man pages", bad);
}

/* Every relative link [text](path) of README.md and docs/NAME.md names a file
 * or folder of the repository. */
static void test_links_resolve(void **state)
{
    (void)state;
    int bad = 0;
    glob_t g;
    assert_int_equal(glob("docs/*.md", 0, NULL, &g), 0);
    assert_int_equal(glob("README.md", GLOB_APPEND, NULL, &g), 0);
    for (size_t k = 0; k < g.gl_pathc; k++) {
        const char *file = g.gl_pathv[k];
        char *text = test_slurp_must(file, NULL);
        char dir[256];
        snprintf(dir, sizeof dir, "%s", file);
        char *slash = strrchr(dir, '/');
        if (slash)
            slash[1] = '\0';
        else
            dir[0] = '\0';
        for (const char *p = strstr(text, "]("); p; p = strstr(p + 1, "](")) {
            const char *t = p + 2;
            size_t len = strcspn(t, ")# \n");
            if (!len || strncmp(t, "http://", 7) == 0 ||
                strncmp(t, "https://", 8) == 0 ||
                strncmp(t, "mailto:", 7) == 0)
                continue;
            char path[1024];
            snprintf(path, sizeof path, "%s%.*s", dir, (int)len, t);
            if (access(path, F_OK) != 0) {
                print_error("%s links to %.*s, which does not exist (%s)\n",
                            file, (int)len, t, path);
                bad++;
            }
        }
        free(text);
    }
    globfree(&g);
    if (bad)
        fail_msg("%d broken links", bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_can_fail),
        cmocka_unit_test(test_options_agree),
        cmocka_unit_test(test_commands_agree),
        cmocka_unit_test(test_ini_keys_agree),
        cmocka_unit_test(test_pages_render),
        cmocka_unit_test(test_links_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
