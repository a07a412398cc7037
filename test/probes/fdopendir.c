/* fdopendir -- glibc's fdopendir contract: ENOTDIR for a file, close-on-exec set on
 * the descriptor it was given, an O_PATH descriptor accepted (readdir then
 * fails with EBADF). One line per case. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void show(const char *what, const char *path, int oflags) {
  int fd = open(path, oflags);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (fd < 0) { printf("%s: open %s\n", what, strerrorname_np(errno)); return; }
  if (!d) { printf("%s: %s\n", what, strerrorname_np(errno)); close(fd); return; }
  int fl = fcntl(fd, F_GETFD);
  struct dirent *e; int n = 0; errno = 0;
  while ((e = readdir(d))) n++;
  printf("%s: cloexec %d, entries>0 %d, errno %s\n", what, !!(fl & FD_CLOEXEC), n > 0, errno ? strerrorname_np(errno) : "0");
  closedir(d);
}
int main(void) {
  show("dir", "/etc", O_RDONLY);
  show("file", "/etc/hostname", O_RDONLY);
  show("opath", "/etc", O_PATH);
  show("dir-cloexec", "/etc", O_RDONLY | O_CLOEXEC);
  return 0;
}
