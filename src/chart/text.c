/*
 * chart/text.c - text for charts: cleaning user text, quoting it for
 * gnuplot, measuring and wrapping it, formatting numbers.
 */
#include "chart/chart_internal.h"
#include "base/grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- cleaning and quoting -------------------------------------------- */

/* Length of the valid UTF-8 sequence at S (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                        : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

char *graft_chart_clean(const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s);
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    while (*p == ' ' || (*p && *p < 0x20))
        p++;
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 0) {
            *o++ = '?';
            p++;
        } else if (n == 1 && (*p < 0x20 || *p == 0x7F)) {
            *o++ = ' ';
            p++;
        } else {
            memcpy(o, p, n);
            o += n;
            p += n;
        }
    }
    while (o > out && o[-1] == ' ')
        o--;
    *o = '\0';
    return out;
}

/* gnuplot 5.4 reads a single-quoted string up to the next quote and
 * expands neither `backquotes` nor @macros inside it.  Its one escape, a
 * doubled quote, is not safe: the scanner looks for it one character
 * ahead, so a string that starts with a doubled quote, or holds two,
 * ends early (scanner.c); and the @macro expander flips "inside quotes"
 * at every quote, even one inside "..." (command.c).  So no quote is
 * ever written inside a string: S is written as its runs between quotes,
 * each single-quoted, joined by . "\047" . (the quote as an octal escape,
 * util.c parse_esc()).  What we write after a string never starts with a
 * quote, so the look-ahead never sees two.  Control characters (a
 * newline would end the command) become spaces. */
void graft_chart_quote(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        if (*p == '\'')
            fputs("' . \"\\047\" . '", fp);
        else
            fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, fp);
    }
    fputc('\'', fp);
}

/* In a data file gnuplot 5.4 reads a "quoted" field up to the next double
 * quote, whatever precedes it, then applies parse_esc(): \\, \n, \r, \t,
 * \" and octal escapes are replaced, a backslash before anything else is
 * dropped (datafile.c df_parse_string_field(), util.c).  So the double
 * quote is written \0042 (with a leading 0 four octal digits are read,
 * whatever follows), the backslash \\, every other byte as itself
 * (control characters as spaces), and the lines are joined by \n.
 * Returns the field's length in bytes (FP NULL: only counts them). */
static size_t dat_text_write(FILE *fp, char *const *lines, size_t n)
{
    size_t len = 2;
    if (fp)
        fputc('"', fp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            len += 2;
            if (fp)
                fputs("\\n", fp);
        }
        for (const unsigned char *p = (const unsigned char *)lines[i]; *p;
             p++) {
            const char *esc = *p == '"' ? "\\0042" : *p == '\\' ? "\\\\" : NULL;
            len += esc ? strlen(esc) : 1;
            if (fp && esc)
                fputs(esc, fp);
            else if (fp)
                fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, fp);
        }
    }
    if (fp)
        fputc('"', fp);
    return len;
}

void graft_chart_dat_text(FILE *fp, char *const *lines, size_t n)
{
    fputc(' ', fp);
    dat_text_write(fp, lines, n);
}

size_t graft_chart_dat_text_len(char *const *lines, size_t n)
{
    return dat_text_write(NULL, lines, n);
}

void graft_chart_comment(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n > 0 && (p[n - 1] == '\\' || p[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < n; i++)
        fputc(p[i] < 0x20 || p[i] == 0x7F ? ' ' : p[i], fp);
}

void graft_chart_dat_full(FILE *dat, size_t row, const char *text, int cut)
{
    if (!cut)
        return;
    fprintf(dat, "# row %zu's label in full, cut on the chart: ", row);
    graft_chart_comment(dat, text);
    fputc('\n', dat);
}

/* ---- measuring ------------------------------------------------------- */

/* DejaVu Sans advance widths of ASCII 32..126, in thousandths of an em
 * (measured from DejaVuSans.ttf). */
static const unsigned short ascii_width[95] = {
    320, 400, 460, 840, 640, 950, 780, 270, 390, 390, 500, 840, 320, 360,
    320, 340, 640, 640, 640, 640, 640, 640, 640, 640, 640, 640, 340, 340,
    840, 840, 840, 530, 1000, 709, 690, 700, 770, 630, 580, 770, 750, 300,
    300, 661, 560, 860, 750, 790, 600, 790, 690, 630, 591, 730, 680, 990,
    690, 610, 690, 390, 340, 390, 840, 501, 500, 610, 630, 550, 630, 620,
    351, 630, 630, 280, 280, 580, 280, 970, 630, 610, 630, 630, 391, 520,
    390, 630, 590, 820, 590, 590, 520, 640, 340, 640, 840};

/* Width of the character at S in thousandths of an em; *N its bytes. */
static unsigned char_width(const unsigned char *s, size_t *n)
{
    size_t k = utf8_len(s);
    *n = k ? k : 1;
    if (k == 1)
        return *s >= 32 && *s < 127 ? ascii_width[*s - 32] : 0;
    if ((k == 3 && s[0] >= 0xE3) || k == 4)
        return 1000; /* CJK, fullwidth forms, emoji (U+3000 and up) */
    return 700;      /* accented Latin, Arabic, Cyrillic...: a wide guess */
}

double graft_chart_text_px(const char *s, double pt, int bold)
{
    double em = 0;
    size_t n;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += n)
        em += char_width(p, &n) / 1000.0;
    return em * pt * 4.0 / 3.0 * (bold ? 1.1 : 1.0);
}

/* ---- wrapping -------------------------------------------------------- */

void graft_chart_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; lines && i < n; i++)
        free(lines[i]);
    free(lines);
}

/* Bytes of S (length LEN) that fit in MAX_PX: at least one character. */
static size_t fit_bytes(const char *s, size_t len, double max_px, double pt,
                        int bold)
{
    double em_px = pt * 4.0 / 3.0 * (bold ? 1.1 : 1.0), w = 0;
    size_t i = 0, n;
    while (i < len) {
        w += char_width((const unsigned char *)s + i, &n) / 1000.0 * em_px;
        if (w > max_px && i > 0)
            break;
        i += n;
    }
    return i;
}

size_t graft_chart_wrap(const char *s, double max_px, double pt, int bold,
                        char ***lines)
{
    size_t cap = 4, n = 0, len = strlen(s);
    char **out = malloc(cap * sizeof *out);
    *lines = NULL;
    if (!out)
        return 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && s[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t fit = fit_bytes(s + i, len - i, max_px, pt, bold), cut = fit;
        if (i + fit < len) { /* break at the last space that fits */
            size_t j = fit;
            while (j > 0 && s[i + j] != ' ')
                j--;
            if (j > 0)
                cut = j;
        }
        size_t end = cut;
        while (end > 0 && s[i + end - 1] == ' ')
            end--;
        char **grown = graft_grow(out, &cap, n + 1, sizeof *out);
        if (!grown)
            goto oom;
        out = grown;
        if (!(out[n] = malloc(end + 1)))
            goto oom;
        memcpy(out[n], s + i, end);
        out[n++][end] = '\0';
        i += cut;
    }
    *lines = out;
    return n;
oom:
    graft_chart_lines_free(out, n);
    return 0;
}

/* ---- numbers --------------------------------------------------------- */

char *graft_chart_fmt_value(char *buf, size_t size, double v, int percent)
{
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (percent)
        snprintf(buf, size, "%.1f %%", 100 * v + 0.0);
    else if (fabs(v) >= 1000)
        graft_chart_fmt_count(buf, size, v);
    else
        snprintf(buf, size, "%.*f", fabs(v) >= 100 ? 1 : 2, v + 0.0);
    return buf;
}

char *graft_chart_fmt_count(char *buf, size_t size, double v)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", fabs(v));
    size_t nd = strlen(digits), o = 0;
    if (v < 0 && o + 1 < size)
        buf[o++] = '-';
    for (size_t i = 0; i < nd && o + 2 < size; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

double graft_chart_nice_step(double span, int target)
{
    if (!(span > 0))
        return 1;
    double raw = span / (target > 0 ? target : 5);
    double p = pow(10, floor(log10(raw)));
    static const double mult[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof mult / sizeof mult[0]; i++)
        if (mult[i] * p >= raw)
            return mult[i] * p;
    return 10 * p;
}
