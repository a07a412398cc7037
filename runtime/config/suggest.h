/*
 * suggest.h -- "did you mean" for config errors: the known name nearest to
 * a misspelt one (Damerau-Levenshtein distance, an adjacent swap costs 1).
 * Runs at start-up while reading the config, never in a signal handler.
 */
#ifndef VU_SUGGEST_H
#define VU_SUGGEST_H

#include <stddef.h>
#include <string.h>
#include <ctype.h>

#define VU_SUGGEST_MAXLEN 64

/* vu_edit_distance -- edits (insert, delete, substitute, swap of two
 * neighbours) from a to b, ignoring case; -1 when either is too long */
static inline int vu_edit_distance(const char *a, const char *b)
{
	int d[VU_SUGGEST_MAXLEN + 1][VU_SUGGEST_MAXLEN + 1];
	size_t n = strlen(a), m = strlen(b);

	if (n > VU_SUGGEST_MAXLEN || m > VU_SUGGEST_MAXLEN)
		return -1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

struct vu_suggest {
	const char *best;
	int dist;
};

/* vu_suggest_init / vu_suggest_offer / vu_suggest_done -- offer every
 * known name; done() returns the nearest if it is near enough to be a
 * typo (at most a third of the word, at least 1, at most 3), else NULL */
static inline void vu_suggest_init(struct vu_suggest *s)
{
	s->best = NULL;
	s->dist = 1 << 30;
}

static inline void vu_suggest_offer(struct vu_suggest *s, const char *typed, const char *known)
{
	int d = vu_edit_distance(typed, known);

	if (d >= 0 && d < s->dist) {
		s->dist = d;
		s->best = known;
	}
}

static inline const char *vu_suggest_done(const struct vu_suggest *s, const char *typed)
{
	size_t len = strlen(typed);
	int limit = (int)(len / 3);

	if (limit < 1)
		limit = 1;
	if (limit > 3)
		limit = 3;
	return s->best && s->dist <= limit ? s->best : NULL;
}

#endif
