/* flock(2)-based directory lock (core/dir_lock.h). */
#include "core/dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/files.h"

/* The holder's line, read back for the message; "" when unreadable. */
static void read_holder(int fd, char *out, size_t size)
{
    out[0] = '\0';
    ssize_t length = pread(fd, out, size - 1, 0);
    if (length <= 0) {
        out[0] = '\0';
        return;
    }
    out[length] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

int bench_dir_lock_take(bench_dir_lock *lock, const char *dir, int exclusive, const char *holder,
                        bench_error *error)
{
    lock->fd = -1;
    if (bench_make_directories(dir, error) != BENCH_OK)
        return error->code;
    char path[4200];
    snprintf(path, sizeof path, "%s/.bench.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot open the directory lock: %s", path, strerror(errno));
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        int saved = errno;
        char current[512];
        read_holder(fd, current, sizeof current);
        close(fd);
        if (saved == EWOULDBLOCK)
            return BENCH_FAIL(error, BENCH_BAD_INPUT,
                              "%s is in use by %s; one command writes a run directory at a time (shards of one "
                              "plan excepted): wait for it, or choose another --out",
                              dir, current[0] ? current : "another bench process");
        return BENCH_FAIL(error, BENCH_IO, "%s: cannot lock: %s", path, strerror(saved));
    }
    /* Record who holds it.  Shared holders overwrite each other's line: any one
     * of them is a true answer to "who is writing here". */
    char line[600];
    int length = snprintf(line, sizeof line, "pid %ld (%s, %s lock)\n", (long)getpid(), holder,
                          exclusive ? "exclusive" : "shared");
    if (length > 0 && (size_t)length < sizeof line) {
        if (exclusive && ftruncate(fd, 0) != 0) {
            /* Only the description is lost; the lock itself is held. */
        }
        if (pwrite(fd, line, (size_t)length, 0) != length) {
            /* Same: a missing description only makes a later message vaguer. */
        }
    }
    lock->fd = fd;
    return BENCH_OK;
}

void bench_dir_lock_release(bench_dir_lock *lock)
{
    if (lock->fd >= 0) {
        flock(lock->fd, LOCK_UN);
        close(lock->fd);
    }
    lock->fd = -1;
}
