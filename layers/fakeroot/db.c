/*
 * db.c -- the fakeroot layer's state file: what the program did
 * to ownership, modes and device nodes, keyed by (st_dev, st_ino), shared
 * by every process of the tree and kept between runs.
 *
 * The file is mapped MAP_SHARED by every process; there is no server and
 * no log to replay. Layout (host byte order):
 *
 *   [0, 4096)   header: magic "VUFKROOT", version, geometry and their
 *               checksum; then the counters (segments in use, keys,
 *               device records).
 *   segment k   at FR_HDR + FR_SLOT * FR_SEG0 * (2^k - 1), FR_SEG0 << k
 *               slots: first all their keys (16 bytes: dev, ino), then all
 *               their values (64 bytes: writer lock, sequence, two copies
 *               of the record with a checksum each).
 *
 * Keys: open addressing. A key lives in the first slot of its probe
 * sequence (hdr->probe slots from hash & mask in segment 0, at triangular
 * steps +0 +1 +3 +6..., then likewise in segment 1, ...) that was empty
 * when it was inserted; a slot is claimed with one
 * 16-byte compare-and-swap of (dev, ino) and never goes back to empty, so
 * two processes inserting the same key meet in the same slot, and a lookup
 * stops at the first empty slot. When every window is full a new segment
 * (twice the size) is added under a file lock; old ones never move.
 *
 * Values: a writer takes the slot's lock (its thread id, with every signal
 * blocked so no handler of its own can wait for it), writes the new record
 * into the copy that is not current and flips the sequence. Readers take
 * no lock: they copy the current record and retry if the sequence moved.
 * A writer killed at any point leaves the current copy whole; its lock is
 * taken over once its thread is gone. Changes are deltas (set the owner,
 * set the mode, forget) applied under the lock, so concurrent chown and
 * chmod of one file by two processes both land.
 *
 * Hook path: no malloc, no libc, no locks a signal handler could hold:
 * only gate system calls, atomics on the shared mapping, and mmap.
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include "fakeroot.h"

#define FR_MAGIC "VUFKROOT"
#define FR_VERSION 1
#define FR_HDR 4096UL
#define FR_SEG0 4096UL		/* slots in segment 0 */
#define FR_PROBE 32		/* slots tried per segment in a new file */
#define FR_PROBE_MAX 64		/* files made with 8..64 are read (16 before 2026-11) */
#define FR_KEY 16UL
#define FR_VAL 64UL
#define FR_SLOT (FR_KEY + FR_VAL)

/* OFD lock bytes in the file (locks, not data: they cover the header) */
#define FR_LOCK_INIT 0		/* held while opening: one opener at a time */
#define FR_LOCK_USERS 1		/* read-locked by every process using the file */
#define FR_LOCK_GROW 2		/* held while adding a segment */

struct fr_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint32_t key_size, val_size;
	uint32_t seg0, max_segs, probe;
	uint32_t csum;		/* of everything above */
	char pad[24];
	/* counters, changed while in use (not in the checksum) */
	uint32_t nseg;		/* segments in use, >= 1 */
	uint32_t pad2;
	uint64_t nkeys;		/* claimed slots (may count a few too many) */
	uint64_t ndevs;		/* device records ever made */
};
_Static_assert(offsetof(struct fr_hdr, nseg) == 64, "header layout");

struct fr_key {
	uint64_t dev, ino;	/* ino 0: empty */
} __attribute__((aligned(16)));

/* one copy of a record: uid, gid, mode | flags << 16, rdev, gen lo/hi, csum */
#define FR_W 7
struct fr_val {
	uint32_t lock;		/* writer's thread id, or 0 */
	uint32_t seq;		/* w[seq & 1] is current */
	uint32_t w[2][FR_W];
};
_Static_assert(sizeof(struct fr_key) == FR_KEY, "key size");
_Static_assert(sizeof(struct fr_val) == FR_VAL, "value size");

static uint64_t seg_slots(int k)
{
	return FR_SEG0 << k;
}

static uint64_t seg_off(int k)
{
	return FR_HDR + FR_SLOT * FR_SEG0 * ((1UL << k) - 1);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t key_hash(uint64_t dev, uint64_t ino)
{
	return mix64(ino ^ mix64(dev + 0x9e3779b97f4a7c15ULL));
}

static uint32_t val_csum(uint64_t dev, uint64_t ino, const uint32_t *w)
{
	uint64_t h = mix64(dev ^ 0x5646524f4f54ULL) ^ ino;

	for (int i = 0; i < FR_W - 1; i++)
		h = mix64(h ^ ((uint64_t)w[i] << 32 | (uint32_t)i));
	return (uint32_t)(h >> 32) | 1;	/* never 0: 0 marks a blank copy */
}

static int blank(const uint32_t *w)
{
	for (int i = 0; i < FR_W; i++)
		if (w[i])
			return 0;
	return 1;
}

static uint32_t hdr_csum(const struct fr_hdr *h)
{
	uint64_t x = 0;
	const unsigned char *p = (const unsigned char *)h;

	for (size_t i = 0; i < offsetof(struct fr_hdr, csum); i++)
		x = mix64(x ^ p[i] ^ (i << 8));
	return (uint32_t)x;
}

/* cas16 -- compare-and-swap of a whole key; on failure *old gets what is there */
static int cas16(struct fr_key *p, struct fr_key *old, uint64_t dev, uint64_t ino)
{
#if defined(__x86_64__)
	unsigned char ok;

	__asm__ __volatile__("lock cmpxchg16b %1\n\tsete %0"
			     : "=q"(ok), "+m"(*p), "+a"(old->dev), "+d"(old->ino)
			     : "b"(dev), "c"(ino)
			     : "memory", "cc");
	return ok;
#elif defined(__aarch64__)
	uint64_t lo, hi;
	uint32_t fail;

	do {
		__asm__ __volatile__("ldaxp %0, %1, [%2]"
				     : "=&r"(lo), "=&r"(hi)
				     : "r"(p)
				     : "memory");
		if (lo != old->dev || hi != old->ino) {
			__asm__ __volatile__("clrex" ::: "memory");
			old->dev = lo;
			old->ino = hi;
			return 0;
		}
		__asm__ __volatile__("stlxp %w0, %2, %3, [%1]"
				     : "=&r"(fail)
				     : "r"(p), "r"(dev), "r"(ino)
				     : "memory");
	} while (fail);
	return 1;
#else
#error "fakeroot: no 16-byte compare-and-swap for this architecture"
#endif
}

static void rec_to_words(const struct fr_rec *r, uint32_t *w)
{
	w[0] = r->uid;
	w[1] = r->gid;
	w[2] = (r->mode & 0xffff) | (r->flags << 16);
	w[3] = r->rdev;
	w[4] = (uint32_t)r->gen;
	w[5] = (uint32_t)(r->gen >> 32);
}

static void words_to_rec(const uint32_t *w, struct fr_rec *r)
{
	r->uid = w[0];
	r->gid = w[1];
	r->mode = w[2] & 0xffff;
	r->flags = w[2] >> 16;
	r->rdev = w[3];
	r->gen = (uint64_t)w[5] << 32 | w[4];
}

/* ---- segments ---- */

static char *map_seg(struct fr_db *db, int k)
{
	char *m = __atomic_load_n(&db->seg[k], __ATOMIC_ACQUIRE), *none = NULL;
	long r;

	if (m)
		return m;
	r = vu_sys6(SYS_mmap, 0, seg_slots(k) * FR_SLOT, PROT_READ | PROT_WRITE, MAP_SHARED,
		    db->fd, seg_off(k));
	if (r < 0 && r > -4096)
		return NULL;
	/* two threads may map it at once: one mapping wins */
	if (!__atomic_compare_exchange_n(&db->seg[k], &none, (char *)r, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		vu_sys2(SYS_munmap, r, seg_slots(k) * FR_SLOT);
		return none;
	}
	return (char *)r;
}

static int ofd_lock(int fd, int type, int start, int wait)
{
	struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start,
			    .l_len = 1, .l_pid = 0 };

	return (int)vu_sys3(SYS_fcntl, fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
}

/* add segment k (if nobody did meanwhile); signals are blocked */
static int grow(struct fr_db *db, int k)
{
	struct stat st;
	int r;

	if (k >= FR_MAX_SEGS)
		return -ENOSPC;
	while ((r = ofd_lock(db->fd, F_WRLCK, FR_LOCK_GROW, 1)) == -EINTR)
		;
	if (r)
		return r;
	if (__atomic_load_n(&db->hdr->nseg, __ATOMIC_ACQUIRE) <= (uint32_t)k) {
		r = (int)vu_sys2(SYS_fstat, db->fd, &st);
		if (!r && (uint64_t)st.st_size < seg_off(k + 1))
			r = (int)vu_sys2(SYS_ftruncate, db->fd, seg_off(k + 1));
		if (!r)
			__atomic_store_n(&db->hdr->nseg, k + 1, __ATOMIC_RELEASE);
	}
	ofd_lock(db->fd, F_UNLCK, FR_LOCK_GROW, 0);
	return r;
}

/* find the value of (dev, ino); claim a slot for it when claim is set.
 * Returns NULL (*err = 0: not there; else -errno). */
static struct fr_val *find(struct fr_db *db, uint64_t dev, uint64_t ino, int claim, int *err)
{
	uint64_t h = key_hash(dev, ino);
	uint32_t probe = db->hdr->probe;	/* checked when the file was opened */

	*err = 0;
	for (int k = 0; k < FR_MAX_SEGS; k++) {
		uint64_t n = seg_slots(k);
		struct fr_key *keys;
		char *m;

		if (__atomic_load_n(&db->hdr->nseg, __ATOMIC_ACQUIRE) <= (uint32_t)k) {
			if (!claim)
				return NULL;
			*err = grow(db, k);
			if (*err)
				return NULL;
		}
		m = map_seg(db, k);
		if (!m) {
			*err = -ENOMEM;
			return NULL;
		}
		keys = (struct fr_key *)m;
		for (uint64_t j = 0; j < probe; j++) {
			uint64_t i = (h + j * (j + 1) / 2) & (n - 1);
			struct fr_key *kp = &keys[i];
			struct fr_key cur;

			cur.ino = __atomic_load_n(&kp->ino, __ATOMIC_ACQUIRE);
			if (!cur.ino) {
				if (!claim)
					return NULL;	/* a key never lies past an empty slot */
				/* count first: the count may run high, never low */
				__atomic_add_fetch(&db->hdr->nkeys, 1, __ATOMIC_ACQ_REL);
				cur.dev = 0;
				if (cas16(kp, &cur, dev, ino))
					return (struct fr_val *)(m + n * FR_KEY) + i;
				__atomic_sub_fetch(&db->hdr->nkeys, 1, __ATOMIC_ACQ_REL);
			} else {
				cur.dev = __atomic_load_n(&kp->dev, __ATOMIC_ACQUIRE);
			}
			if (cur.ino == ino && cur.dev == dev)
				return (struct fr_val *)(m + n * FR_KEY) + i;
		}
	}
	*err = -ENOSPC;
	return NULL;
}

/* copy the current record of v; -EIO when its checksum is wrong */
static int read_val(uint64_t dev, uint64_t ino, struct fr_val *v, uint32_t *w)
{
	for (;;) {
		uint32_t s1 = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE), s2;

		for (int i = 0; i < FR_W; i++)
			w[i] = __atomic_load_n(&v->w[s1 & 1][i], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&v->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			break;
	}
	if (!blank(w) && w[FR_W - 1] != val_csum(dev, ino, w))
		return -EIO;
	return 0;
}

static long now_sec(void)
{
	struct timespec ts;

	vu_sys2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* take the writer lock of v; a holder whose thread is gone (killed in the
 * middle of a change) is replaced at once, and after 30 s anyone is (its
 * thread id was reused). Not sooner: a writer holds the lock for
 * microseconds, but a loaded machine can leave it off a CPU for a second
 * or two, and two writers on one copy damage the record */
static void lock_val(struct fr_val *v, uint32_t me)
{
	long start = 0;

	for (unsigned long n = 0;; n++) {
		uint32_t holder = 0;

		if (__atomic_compare_exchange_n(&v->lock, &holder, me, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		if (n < 100) {
			__asm__ __volatile__("" ::: "memory");
			continue;
		}
		vu_sys0(SYS_sched_yield);
		if (n % 256)
			continue;
		if (!start)
			start = now_sec();
		if (vu_sys2(SYS_kill, holder, 0) == -ESRCH || now_sec() - start > 30) {
			if (__atomic_compare_exchange_n(&v->lock, &holder, me, 0,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				vu_debug("fakeroot: took over the lock of thread %u", holder);
				return;
			}
		}
	}
}

static void apply(const struct fr_change *ch, struct fr_rec *r)
{
	if (ch->rec.gen && r->gen && r->gen != ch->rec.gen)
		*r = (struct fr_rec){ 0 };	/* a new file in a reused inode */
	if (ch->rec.gen)
		r->gen = ch->rec.gen;
	if (ch->forget) {
		*r = (struct fr_rec){ 0 };
		return;
	}
	if (ch->set & FR_UID)
		r->uid = ch->rec.uid;
	if (ch->set & FR_GID)
		r->gid = ch->rec.gid;
	if (ch->set & FR_MODE) {
		uint32_t type = ch->rec.mode & S_IFMT;

		if (ch->keep_type && (r->flags & FR_MODE))
			type = r->mode & S_IFMT;
		r->mode = type | (ch->rec.mode & 07777);
	}
	if (ch->set & FR_RDEV)
		r->rdev = ch->rec.rdev;
	r->flags |= ch->set;
}

/* fr_db_change -- apply ch to the record of (dev, ino), creating it. 0 or -errno. */
int fr_db_change(struct fr_db *db, uint64_t dev, uint64_t ino, const struct fr_change *ch)
{
	unsigned long all = ~(1UL << (SIGSYS - 1)), old;	/* all but SIGSYS */
	uint32_t w[FR_W], me;
	struct fr_val *v;
	struct fr_rec r;
	int err = 0;

	if (!db->hdr)
		return -EIO;
	if (!ino)
		return 0;	/* not a file of any file system */
	vu_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(all));
	v = find(db, dev, ino, !ch->forget, &err);
	if (!v)
		goto out;
	if ((ch->set & FR_MODE) && (S_ISCHR(ch->rec.mode) || S_ISBLK(ch->rec.mode)))
		__atomic_add_fetch(&db->hdr->ndevs, 1, __ATOMIC_ACQ_REL);
	me = (uint32_t)vu_sys0(SYS_gettid);
	lock_val(v, me);
	{
		uint32_t s = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);

		for (int i = 0; i < FR_W; i++)
			w[i] = v->w[s & 1][i];
		if (!blank(w) && w[FR_W - 1] != val_csum(dev, ino, w)) {
			err = -EIO;	/* damaged on disk: refuse rather than guess */
		} else {
			words_to_rec(w, &r);
			apply(ch, &r);
			rec_to_words(&r, w);
			w[FR_W - 1] = 0;
			if (!blank(w))
				w[FR_W - 1] = val_csum(dev, ino, w);
			/* what readers saw before the last flip happens before
			 * the bytes they might see now */
			__atomic_thread_fence(__ATOMIC_RELEASE);
			for (int i = 0; i < FR_W; i++)
				__atomic_store_n(&v->w[(s & 1) ^ 1][i], w[i], __ATOMIC_RELAXED);
			__atomic_store_n(&v->seq, s + 1, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&v->lock, 0, __ATOMIC_RELEASE);
out:
	vu_sys4(SYS_rt_sigprocmask, SIG_SETMASK, &old, 0, sizeof(old));
	if (err == -EIO)
		vu_log("fakeroot: %s: damaged record for inode %lu:%lu", db->path,
		       (unsigned long)dev, (unsigned long)ino);
	return err;
}

/* fr_db_get -- the record of (dev, ino): 1 (in *out), 0 none, -EIO damaged */
int fr_db_get(struct fr_db *db, uint64_t dev, uint64_t ino, struct fr_rec *out)
{
	uint32_t w[FR_W];
	struct fr_val *v;
	int err;

	if (!db->hdr || !ino)
		return 0;
	v = find(db, dev, ino, 0, &err);
	if (!v)
		return err;
	if (read_val(dev, ino, v, w)) {
		vu_log("fakeroot: %s: damaged record for inode %lu:%lu", db->path,
		       (unsigned long)dev, (unsigned long)ino);
		return -EIO;
	}
	words_to_rec(w, out);
	return out->flags ? 1 : 0;
}

/* fr_db_each -- fn for every inode with a record (for `vu fakeroot show`);
 * the number of records, or -errno */
long fr_db_each(struct fr_db *db, void (*fn)(void *ctx, uint64_t dev, uint64_t ino, const struct fr_rec *r),
		void *ctx)
{
	long n = 0;

	if (!db->hdr)
		return 0;
	for (uint32_t k = 0; k < __atomic_load_n(&db->hdr->nseg, __ATOMIC_ACQUIRE); k++) {
		char *m = map_seg(db, (int)k);
		uint64_t slots = seg_slots((int)k);
		struct fr_key *keys = (struct fr_key *)m;
		struct fr_val *vals = (struct fr_val *)(m + slots * FR_KEY);

		if (!m)
			return -ENOMEM;
		for (uint64_t i = 0; i < slots; i++) {
			uint32_t w[FR_W];
			struct fr_rec r;

			if (!keys[i].ino || read_val(keys[i].dev, keys[i].ino, &vals[i], w))
				continue;
			words_to_rec(w, &r);
			if (!r.flags)
				continue;
			fn(ctx, keys[i].dev, keys[i].ino, &r);
			n++;
		}
	}
	return n;
}

/* fr_db_empty -- nothing was ever recorded (then lookups can be skipped) */
int fr_db_empty(const struct fr_db *db)
{
	return !db->hdr || !__atomic_load_n(&db->hdr->nkeys, __ATOMIC_ACQUIRE);
}

int fr_db_has_devices(const struct fr_db *db)
{
	return db->hdr && __atomic_load_n(&db->hdr->ndevs, __ATOMIC_ACQUIRE);
}

/* ---- start-up (libc allowed) ---- */

static void hdr_fill(struct fr_hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, FR_MAGIC, 8);
	h->version = FR_VERSION;
	h->hdr_size = FR_HDR;
	h->key_size = FR_KEY;
	h->val_size = FR_VAL;
	h->seg0 = FR_SEG0;
	h->max_segs = FR_MAX_SEGS;
	h->probe = FR_PROBE;
	h->csum = hdr_csum(h);
	h->nseg = 1;
}

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* check the header h of a file of size bytes */
static int hdr_check(const struct fr_hdr *h, uint64_t size, const char *path, char *err,
		     size_t errlen)
{
	const char *fix = "; move it away or name another file in \"state\"";

	if (size < FR_HDR)
		return fail(err, errlen, -EINVAL,
			    "%s: damaged state file (%lu bytes, shorter than its header)%s",
			    path, (unsigned long)size, fix);
	if (memcmp(h->magic, FR_MAGIC, 8))
		return fail(err, errlen, -EINVAL,
			    "%s: not a vu fakeroot state file (unknown format)%s", path, fix);
	if (h->version != FR_VERSION)
		return fail(err, errlen, -EINVAL,
			    "%s: state file of an unknown version %u (this vu reads version %u)%s",
			    path, h->version, FR_VERSION, fix);
	if (h->csum != hdr_csum(h))
		return fail(err, errlen, -EINVAL,
			    "%s: damaged state file (header checksum mismatch)%s", path, fix);
	if (h->hdr_size != FR_HDR || h->key_size != FR_KEY || h->val_size != FR_VAL ||
	    h->seg0 != FR_SEG0 || h->max_segs != FR_MAX_SEGS || h->probe < 8 || h->probe > FR_PROBE_MAX)
		return fail(err, errlen, -EINVAL,
			    "%s: state file with an unknown geometry%s", path, fix);
	if (h->nseg < 1 || h->nseg > FR_MAX_SEGS || size < seg_off(h->nseg))
		return fail(err, errlen, -EINVAL,
			    "%s: damaged state file (%u segments need %lu bytes, it has %lu)%s",
			    path, h->nseg, (unsigned long)seg_off(h->nseg < FR_MAX_SEGS ? h->nseg : FR_MAX_SEGS),
			    (unsigned long)size, fix);
	return 0;
}

/* every record, when no other process uses the file: checksums, stale
 * writer locks (left by a killed writer) cleared, the key count redone */
static int scan(struct fr_db *db, char *err, size_t errlen)
{
	uint64_t nkeys = 0;

	for (uint32_t k = 0; k < db->hdr->nseg; k++) {
		char *m = map_seg(db, (int)k);
		uint64_t n = seg_slots((int)k);
		struct fr_key *keys = (struct fr_key *)m;
		struct fr_val *vals = (struct fr_val *)(m + n * FR_KEY);

		if (!m)
			return fail(err, errlen, -ENOMEM, "%s: cannot map segment %u", db->path, k);
		for (uint64_t i = 0; i < n; i++) {
			struct fr_val *v = &vals[i];
			const uint32_t *w = v->w[v->seq & 1];

			if (!keys[i].ino) {
				if (keys[i].dev)
					goto bad;
				continue;
			}
			nkeys++;
			if (!blank(w) && (w[FR_W - 1] != val_csum(keys[i].dev, keys[i].ino, w) ||
					  (w[2] >> 16) & ~FR_KNOWN))
				goto bad;
			if (v->lock)
				v->lock = 0;
			continue;
bad:
			return fail(err, errlen, -EINVAL,
				    "%s: damaged state file (record %lu of segment %u, inode %lu:%lu, "
				    "fails its checksum); move it away or name another file in \"state\"",
				    db->path, (unsigned long)i, k, (unsigned long)keys[i].dev,
				    (unsigned long)keys[i].ino);
		}
	}
	__atomic_store_n(&db->hdr->nkeys, nkeys, __ATOMIC_RELEASE);
	return 0;
}

static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

static int check_only_open(const char *path, char *err, size_t errlen)
{
	struct fr_hdr h;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	memset(&h, 0, sizeof(h));
	if (fstat(fd, &st) || pread(fd, &h, sizeof(h), 0) < 0)
		r = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	else
		r = hdr_check(&h, st.st_size, path, err, errlen);
	close(fd);
	return r;
}

/* fr_db_open -- open (creating) the state file at path and map it. */
int fr_db_open(struct fr_db *db, const char *path, int check_only, char *err, size_t errlen)
{
	struct fr_hdr h;
	struct stat st;
	int fd, r;

	memset(db, 0, sizeof(*db));
	db->fd = -1;
	db->path = path;
	if (check_only)
		return check_only_open(path, err, errlen);
	r = mkdir_parents(path);
	if (r)
		return fail(err, errlen, r, "%s: cannot create its folder: %s", path, strerror(-r));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	while ((r = ofd_lock(fd, F_WRLCK, FR_LOCK_INIT, 1)) == -EINTR)
		;
	if (r || fstat(fd, &st)) {
		r = fail(err, errlen, r ? r : -errno, "%s: cannot lock it: %s", path,
			 strerror(r ? -r : errno));
		goto out;
	}
	if (st.st_size == 0) {
		/* new (or left empty by a crash before its header: no data) */
		hdr_fill(&h);
		if (pwrite(fd, &h, sizeof(h), 0) != sizeof(h) || ftruncate(fd, seg_off(1))) {
			r = fail(err, errlen, -errno, "%s: cannot write it: %s", path, strerror(errno));
			goto out;
		}
		st.st_size = seg_off(1);
	} else {
		memset(&h, 0, sizeof(h));
		if (pread(fd, &h, sizeof(h), 0) < 0) {
			r = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		r = hdr_check(&h, st.st_size, path, err, errlen);
		if (r)
			goto out;
	}
	db->hdr = mmap(NULL, FR_HDR, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (db->hdr == MAP_FAILED) {
		db->hdr = NULL;
		r = fail(err, errlen, -errno, "%s: cannot map it: %s", path, strerror(errno));
		goto out;
	}
	db->fd = fd;
	/* alone (no process holds the users lock)? then check every record */
	if (!ofd_lock(fd, F_WRLCK, FR_LOCK_USERS, 0)) {
		r = scan(db, err, errlen);
		if (r)
			goto out;
	}
	r = ofd_lock(fd, F_RDLCK, FR_LOCK_USERS, 0);
	if (r) {
		r = fail(err, errlen, r, "%s: cannot lock it: %s", path, strerror(-r));
		goto out;
	}
	ofd_lock(fd, F_UNLCK, FR_LOCK_INIT, 0);
	r = vu_fd_keep(fd);
	if (r < 0)
		return fail(err, errlen, r, "%s: %s", path, strerror(-r));
	db->fd = r;
	return 0;
out:
	if (db->hdr)
		munmap(db->hdr, FR_HDR);
	for (int k = 0; k < FR_MAX_SEGS; k++)
		if (db->seg[k])
			munmap(db->seg[k], seg_slots(k) * FR_SLOT);
	memset(db->seg, 0, sizeof(db->seg));
	db->hdr = NULL;
	db->fd = -1;
	close(fd);
	return r;
}
