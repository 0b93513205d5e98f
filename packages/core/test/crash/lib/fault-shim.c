/*
 * LD_PRELOAD fault injector for the disk-fault tests. Makes write(2)-family calls and
 * fsync/fdatasync fail on files under AOF_FAULT_DIR while the control file AOF_FAULT_CTL
 * exists. The control file holds one line: "<ops> <errno> [partial] [notrunc]", where ops is
 * "write", "fsync" or "write,fsync" and errno is ENOSPC or EIO. With "partial", the first
 * failing write on an fd writes half of its bytes for real and returns that short count (as a
 * full disk does); every later write on it fails while the fault lasts. (libuv retries a short
 * write at once and reports the bytes written, so Node sees a short write, then the error on
 * its next call.) With "notrunc", ftruncate on those files fails too, so a short write cannot
 * be cut back. Each injected fault appends one byte to AOF_FAULT_LOG, so
 * the test can wait for a number of faults instead of for a time.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static __thread int busy; /* our own I/O must not be intercepted */
static char short_done[4096]; /* fds already given their short write during this fault */
static int any_short;

struct rule {
  int write, fsync, err, partial, notrunc;
};

static int read_rule(struct rule *r) {
  const char *ctl = getenv("AOF_FAULT_CTL");
  if (!ctl) return 0;
  int fd = open(ctl, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128] = {0};
  ssize_t (*real_read)(int, void *, size_t) = dlsym(RTLD_NEXT, "read");
  ssize_t n = real_read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  memset(r, 0, sizeof *r);
  r->write = strstr(buf, "write") != NULL;
  r->fsync = strstr(buf, "fsync") != NULL;
  r->err = strstr(buf, "EIO") ? EIO : ENOSPC;
  r->partial = strstr(buf, "partial") != NULL;
  r->notrunc = strstr(buf, "notrunc") != NULL;
  return 1;
}

static int under_dir(int fd) {
  const char *dir = getenv("AOF_FAULT_DIR");
  if (!dir || fd < 0) return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n <= 0) return 0;
  target[n] = 0;
  size_t len = strlen(dir);
  return strncmp(target, dir, len) == 0 && target[len] == '/';
}

static void log_fault(void) {
  const char *log = getenv("AOF_FAULT_LOG");
  if (!log) return;
  int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t (*real_write)(int, const void *, size_t) = dlsym(RTLD_NEXT, "write");
  real_write(fd, "x", 1);
  close(fd);
}

/* 1: fail the call with errno set; 2: make it short (write half); 0: let it through. */
static int decide(int fd, int is_write, size_t count) {
  if (busy) return 0;
  busy = 1;
  struct rule r;
  int act = 0;
  int active = read_rule(&r);
  if (!active && any_short) {
    memset(short_done, 0, sizeof short_done);
    any_short = 0;
  }
  if (active && (is_write ? r.write : r.fsync) && under_dir(fd)) {
    if (is_write && r.partial && count > 1 && fd < (int)sizeof short_done && !short_done[fd]) {
      short_done[fd] = 1;
      any_short = 1;
      act = 2;
    } else {
      act = 1;
    }
    log_fault();
    if (act == 1) errno = r.err;
  }
  busy = 0;
  return act;
}

ssize_t write(int fd, const void *buf, size_t count) {
  static ssize_t (*real)(int, const void *, size_t);
  if (!real) real = dlsym(RTLD_NEXT, "write");
  int act = decide(fd, 1, count);
  if (act == 1) return -1;
  if (act == 2) return real(fd, buf, count / 2);
  return real(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off) {
  static ssize_t (*real)(int, const void *, size_t, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwrite");
  int act = decide(fd, 1, count);
  if (act == 1) return -1;
  if (act == 2) return real(fd, buf, count / 2, off);
  return real(fd, buf, count, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off) {
  return pwrite(fd, buf, count, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
  static ssize_t (*real)(int, const struct iovec *, int);
  if (!real) real = dlsym(RTLD_NEXT, "writev");
  if (decide(fd, 1, 0) == 1) return -1;
  return real(fd, iov, n);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
  static ssize_t (*real)(int, const struct iovec *, int, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "pwritev");
  if (decide(fd, 1, 0) == 1) return -1;
  return real(fd, iov, n, off);
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = dlsym(RTLD_NEXT, "fsync");
  if (decide(fd, 0, 0) == 1) return -1;
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = dlsym(RTLD_NEXT, "fdatasync");
  if (decide(fd, 0, 0) == 1) return -1;
  return real(fd);
}

int ftruncate(int fd, off_t len) {
  static int (*real)(int, off_t);
  if (!real) real = dlsym(RTLD_NEXT, "ftruncate");
  if (!busy) {
    busy = 1;
    struct rule r;
    int fail = read_rule(&r) && r.notrunc && under_dir(fd);
    busy = 0;
    if (fail) {
      errno = EIO;
      return -1;
    }
  }
  return real(fd, len);
}

int ftruncate64(int fd, off_t len) {
  return ftruncate(fd, len);
}
