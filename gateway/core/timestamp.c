/* SPDX-License-Identifier: Apache-2.0 */
/* timestamp.c - RFC 3339 date-time, as CloudEvents Timestamp requires. */
#include "config.h"

#include "cegate/event.h"

static int digits(const char *s, size_t at, size_t count, size_t n, int *out)
{
    if (at + count > n)
        return -1;
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int cegate_timestamp_parse(const char *s, size_t n, cegate_timestamp *out,
                           const char *what, cegate_error *err)
{
    int year, month, day, hour, minute, second;
    const char *why = "expected YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)";
    if (digits(s, 0, 4, n, &year) || n < 5 || s[4] != '-' ||
        digits(s, 5, 2, n, &month) || n < 8 || s[7] != '-' ||
        digits(s, 8, 2, n, &day) || n < 11 ||
        (s[10] != 'T' && s[10] != 't') || digits(s, 11, 2, n, &hour) ||
        n < 14 || s[13] != ':' || digits(s, 14, 2, n, &minute) || n < 17 ||
        s[16] != ':' || digits(s, 17, 2, n, &second))
        goto bad;
    if (month < 1 || month > 12) {
        why = "month out of range";
        goto bad;
    }
    if (day < 1 || day > days_in_month(year, month)) {
        why = "day out of range for its month";
        goto bad;
    }
    /* Second 60 is a leap second (RFC 3339 §5.7). */
    if (hour > 23 || minute > 59 || second > 60) {
        why = "time of day out of range";
        goto bad;
    }
    size_t i = 19;
    int32_t nanos = 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        int scale = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (scale < 9) {
                nanos = nanos * 10 + (s[i] - '0');
                scale++;
            }
            i++;
        }
        if (i == start) {
            why = "no digits after the decimal point";
            goto bad;
        }
        while (scale++ < 9)
            nanos *= 10;
    }
    int offset = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (digits(s, i + 1, 2, n, &oh) || i + 3 >= n || s[i + 3] != ':' ||
            digits(s, i + 4, 2, n, &om)) {
            why = "time offset must be +hh:mm or -hh:mm";
            goto bad;
        }
        if (oh > 23 || om > 59) {
            why = "time offset out of range";
            goto bad;
        }
        offset = oh * 60 + om;
        if (s[i] == '-')
            offset = -offset;
        i += 6;
    } else {
        why = "missing time offset (Z or +hh:mm)";
        goto bad;
    }
    if (i != n) {
        why = "unexpected characters after the time offset";
        goto bad;
    }
    if (out != NULL) {
        int64_t days = days_from_civil(year, month, day);
        out->seconds = days * 86400 + hour * 3600 + minute * 60 + second -
                       (int64_t)offset * 60;
        out->nanoseconds = nanos;
        out->offset_minutes = (int16_t)offset;
    }
    return 0;
bad:
    return cegate_error_set(err, CEGATE_ERR_VALUE, what,
                            "not an RFC 3339 timestamp: %s", why), -1;
}
