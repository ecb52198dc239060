#include "bench/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static volatile sig_atomic_t stop_signal_seen = 0;
static void on_stop_signal(int signal_number) { stop_signal_seen = signal_number; }

/* One running worker: its pid, item, report pipe and deadline. */
typedef struct worker_slot {
    pid_t pid;                 /* 0: free */
    size_t item;
    int report_fd;             /* read end of the worker's report pipe, -1 once read */
    char report[BENCH_ERROR_MESSAGE_SIZE + 8];
    size_t report_length;
    double deadline;           /* monotonic seconds; 0: none */
    int timed_out;
} worker_slot;

/* The worker's only channel to the pool: "ok\n" once its files are committed,
 * or "io <message>" when it could not write them.  Written by harness code
 * only, after the model has finished. */
static void send_report(int fd, int result, const bench_error *error)
{
    char text[BENCH_ERROR_MESSAGE_SIZE + 8];
    int length = result == BENCH_OK ? snprintf(text, sizeof text, "ok\n")
                                    : snprintf(text, sizeof text, "io %s", error->message);
    if (length > 0 && write(fd, text, (size_t)length < sizeof text ? (size_t)length : sizeof text - 1) < 0) {
        /* The pool then treats the worker as one that ended without a report. */
    }
}

static void drain_report(worker_slot *slot)
{
    while (slot->report_fd >= 0 && slot->report_length < sizeof slot->report - 1) {
        ssize_t got = read(slot->report_fd, slot->report + slot->report_length,
                           sizeof slot->report - 1 - slot->report_length);
        if (got > 0) {
            slot->report_length += (size_t)got;
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close(slot->report_fd); /* end of file: the worker's write end is closed */
        slot->report_fd = -1;
    }
    slot->report[slot->report_length] = '\0';
}

/* In the worker: its own memory limit, then the item, then the report. */
static void worker_main(const bench_pool *pool, size_t item, int report_fd)
{
    if (pool->memory_limit_mb > 0) {
        rlim_t bytes = (rlim_t)pool->memory_limit_mb * 1024u * 1024u;
        struct rlimit limit = {.rlim_cur = bytes, .rlim_max = bytes};
        setrlimit(RLIMIT_AS, &limit);
    }
    bench_error item_error = {0};
    int result = pool->work(pool->context, item, &item_error);
    send_report(report_fd, result, &item_error);
    fflush(NULL);
    _exit(0);
}

/* Sleeps until a report arrives, a pipe closes, a deadline passes, or at most
 * 100 ms (a worker whose pipe a child of its own keeps open still gets reaped);
 * kills workers past their deadline. */
static void wait_for_news(worker_slot *slots, struct pollfd *polls, unsigned jobs)
{
    double now = now_seconds();
    int wait_ms = 100;
    nfds_t count = 0;
    for (unsigned j = 0; j < jobs; j++) {
        if (slots[j].pid == 0)
            continue;
        if (slots[j].deadline > 0 && !slots[j].timed_out) {
            if (now >= slots[j].deadline) {
                kill(slots[j].pid, SIGKILL);
                slots[j].timed_out = 1;
            } else if ((slots[j].deadline - now) * 1000 < wait_ms)
                wait_ms = (int)((slots[j].deadline - now) * 1000) + 1;
        }
        if (slots[j].report_fd >= 0)
            polls[count++] = (struct pollfd){.fd = slots[j].report_fd, .events = POLLIN};
    }
    if (poll(polls, count, wait_ms) > 0)
        for (unsigned j = 0; j < jobs; j++)
            if (slots[j].pid != 0)
                drain_report(&slots[j]);
}

int bench_pool_run(const bench_pool *pool, int *stop_signal, bench_error *error)
{
    unsigned jobs = pool->jobs ? pool->jobs : 1;
    worker_slot *slots = calloc(jobs, sizeof *slots);
    struct pollfd *polls = calloc(jobs, sizeof *polls);
    if (slots == NULL || polls == NULL) {
        free(slots), free(polls);
        return BENCH_FAIL(error, BENCH_NO_MEMORY, "out of memory");
    }
    for (unsigned j = 0; j < jobs; j++)
        slots[j].report_fd = -1;
    stop_signal_seen = 0;
    struct sigaction action = {.sa_handler = on_stop_signal}, old_int, old_term;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);

    size_t next = 0, running = 0;
    int status = BENCH_OK;
    while (status == BENCH_OK && (next < pool->count || running > 0)) {
        /* Start while there is a free slot and no stop was requested. */
        while (!stop_signal_seen && running < jobs && next < pool->count) {
            size_t item = next++;
            if (pool->want != NULL && !pool->want(pool->context, item))
                continue;
            int pipe_fds[2];
            if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
                status = BENCH_FAIL(error, BENCH_IO, "pipe: %s", strerror(errno));
                break;
            }
            fflush(NULL);
            pid_t parent = getpid();
            pid_t child = fork();
            if (child < 0) {
                close(pipe_fds[0]), close(pipe_fds[1]);
                status = BENCH_FAIL(error, BENCH_IO, "cannot start a worker: %s", strerror(errno));
                break;
            }
            if (child == 0) {
                /* A worker ends with its run: a run killed from outside
                 * leaves no orphan still training and writing files. */
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                    _exit(1);
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGTERM, &old_term, NULL);
                close(pipe_fds[0]);
                /* The worker owns nothing of the pool: close the other workers'
                 * pipes and free its copy (memcheck counts it lost). */
                for (unsigned j = 0; j < jobs; j++)
                    if (slots[j].report_fd >= 0)
                        close(slots[j].report_fd);
                free(slots), free(polls);
                worker_main(pool, item, pipe_fds[1]);
            }
            close(pipe_fds[1]);
            fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
            for (unsigned j = 0; j < jobs; j++)
                if (slots[j].pid == 0) {
                    slots[j] = (worker_slot){.pid = child, .item = item, .report_fd = pipe_fds[0],
                                             .deadline = pool->timeout_seconds > 0
                                                             ? now_seconds() + pool->timeout_seconds
                                                             : 0};
                    break;
                }
            running++;
        }
        if (running == 0)
            break;
        int wait_status = 0;
        pid_t finished = waitpid(-1, &wait_status, WNOHANG);
        if (finished < 0 && errno != EINTR) {
            status = BENCH_FAIL(error, BENCH_IO, "waitpid: %s", strerror(errno));
            break;
        }
        if (finished <= 0) {
            wait_for_news(slots, polls, jobs);
            continue;
        }
        for (unsigned j = 0; j < jobs; j++) {
            worker_slot *slot = &slots[j];
            if (slot->pid != finished)
                continue;
            drain_report(slot);
            if (slot->report_fd >= 0)
                close(slot->report_fd);
            slot->pid = 0;
            slot->report_fd = -1;
            running--;
            bench_pool_outcome outcome = {
                .reported_ok = strcmp(slot->report, "ok\n") == 0,
                .io_error = strncmp(slot->report, "io ", 3) == 0 ? slot->report + 3 : NULL,
                .wait_status = wait_status,
                .timed_out = slot->timed_out,
            };
            outcome.interrupted = stop_signal_seen && !outcome.reported_ok && !slot->timed_out;
            if (pool->finished != NULL && status == BENCH_OK)
                status = pool->finished(pool->context, slot->item, &outcome, error);
            slot->report_length = 0;
            slot->report[0] = '\0';
            slot->timed_out = 0;
        }
    }
    /* On an error, let running workers finish so no half-written state remains. */
    while (running > 0 && waitpid(-1, NULL, 0) > 0)
        running--;
    for (unsigned j = 0; j < jobs; j++)
        if (slots[j].report_fd >= 0)
            close(slots[j].report_fd);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free(slots), free(polls);
    if (stop_signal != NULL)
        *stop_signal = (int)stop_signal_seen;
    if (status == BENCH_OK && stop_signal_seen)
        status = BENCH_FAIL(error, BENCH_INTERRUPTED,
                            "interrupted by signal %d; finished cells are kept, rerun with --resume",
                            (int)stop_signal_seen);
    return status;
}

int bench_child_answer(int (*body)(void *context, int fd), void *context, void *answer, size_t size, size_t *got,
                       int *wait_status, bench_error *error)
{
    int channel[2];
    if (pipe(channel) != 0)
        return BENCH_FAIL(error, BENCH_IO, "pipe: %s", strerror(errno));
    fflush(NULL); /* the child must not write the parent's buffered output a second time */
    pid_t child = fork();
    if (child < 0) {
        close(channel[0]), close(channel[1]);
        return BENCH_FAIL(error, BENCH_IO, "fork: %s", strerror(errno));
    }
    if (child == 0) {
        close(channel[0]);
        int status = body(context, channel[1]);
        close(channel[1]);
        _exit(status);
    }
    close(channel[1]);
    *got = 0;
    while (*got < size) {
        ssize_t part = read(channel[0], (char *)answer + *got, size - *got);
        if (part < 0 && errno == EINTR)
            continue;
        if (part <= 0)
            break;
        *got += (size_t)part;
    }
    close(channel[0]);
    *wait_status = 0;
    while (waitpid(child, wait_status, 0) < 0 && errno == EINTR) {
    }
    return BENCH_OK;
}
