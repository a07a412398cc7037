/* vcstorm -- threads asking the verdict cache at once: T threads each open
 * and read, in turn, N paths of DIR (more paths than the cache has slots,
 * so slots are written while others read them), R rounds; files DIR/fK
 * hold "K" and a remap sends DIR/aK to DIR/f(K+1), so a wrong answer
 * (another slot's path, a half-written one) reads the wrong number. Meanwhile
 * a thread makes and removes a file (every entry forgotten, again and
 * again). Prints the count of right and wrong answers.
 * usage: vcstorm DIR T N R */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *dir;
static int nthreads, npaths, rounds;
static atomic_long right, wrong, failed;
static atomic_int done;

static void *asker(void *arg)
{
	long id = (long)arg;
	char path[512], buf[32];

	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < npaths; k++) {
			int i = (k * 7 + (int)id * 13 + r) % npaths;	/* each thread its own order */
			int alias = i & 1, fd, n, want = alias ? i + 1 : i;

			snprintf(path, sizeof(path), "%s/%c%d", dir, alias ? 'a' : 'f', i);
			fd = open(path, O_RDONLY);
			if (fd < 0) {
				atomic_fetch_add(&failed, 1);
				continue;
			}
			n = (int)read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = 0;
			if (atoi(buf) == want)
				atomic_fetch_add(&right, 1);
			else
				atomic_fetch_add(&wrong, 1);
		}
	return NULL;
}

static void *churn(void *arg)
{
	char path[512];

	(void)arg;
	snprintf(path, sizeof(path), "%s/churn", dir);
	while (!atomic_load(&done)) {
		int fd = open(path, O_CREAT | O_WRONLY, 0644);

		if (fd >= 0)
			close(fd);
		unlink(path);
		usleep(200);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64], c;

	if (argc < 5)
		return 2;
	dir = argv[1];
	nthreads = atoi(argv[2]);
	npaths = atoi(argv[3]);
	rounds = atoi(argv[4]);
	if (nthreads > 64)
		nthreads = 64;
	pthread_create(&c, NULL, churn, NULL);
	for (long i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, asker, (void *)i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	atomic_store(&done, 1);
	pthread_join(c, NULL);
	printf("right %ld wrong %ld failed %ld\n", atomic_load(&right), atomic_load(&wrong), atomic_load(&failed));
	return 0;
}
