/*
 * insidecalls -- glibc functions that make more system calls than their
 * own, run by a program with threads: setuid and setgid signal every
 * thread (tgkill), stdio's fseek to the end asks fstat, a new stream's
 * first write asks isatty (ioctl), remove tries unlink then rmdir,
 * mkfifo is mknodat. Prints nothing; exit 0 when every call worked.
 * argv[1]: a folder to work in. The calls after its getppid are its own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_barrier_t start, stop;

static void *idle(void *a)
{
	(void)a;
	pthread_barrier_wait(&start);
	pthread_barrier_wait(&stop);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[3];
	char p[4096], host[256];
	FILE *f;
	int bad = 0;

	if (argc < 2 || chdir(argv[1]))
		return 2;
	(void)getppid();	/* the mark: what comes after is the program's */
	pthread_barrier_init(&start, NULL, 4);
	pthread_barrier_init(&stop, NULL, 4);
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, idle, NULL);
	pthread_barrier_wait(&start);
	bad |= setgid(getgid()) != 0;
	bad |= setuid(getuid()) != 0;
	pthread_barrier_wait(&stop);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);

	f = fopen("data", "w+");
	bad |= !f;
	if (f) {
		bad |= fputs("0123456789\n", f) == EOF;
		bad |= fflush(f) != 0;
		bad |= fseek(f, 0, SEEK_END) != 0;
		bad |= ftell(f) != 11;
		rewind(f);
		bad |= !fgets(p, sizeof(p), f) || strcmp(p, "0123456789\n") != 0;
		bad |= fclose(f) != 0;
	}
	f = fopen("/dev/null", "w");
	bad |= !f;
	if (f) {
		fprintf(f, "%d\n", 42);
		bad |= fclose(f) != 0;
	}
	bad |= mkdir("dir", 0755) != 0;
	bad |= remove("dir") != 0;
	bad |= remove("data") != 0;
	bad |= mkfifo("fifo", 0600) != 0;
	bad |= unlink("fifo") != 0;
	bad |= gethostname(host, sizeof(host)) != 0;
	return bad;
}
