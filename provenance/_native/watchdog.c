/* _watchdog: end this process when one record takes too long (see provenance/ingest/watch.py).
 *
 * A parser's worst case (200,000 attributes in one tag, 20,000 distinct <font>s, a <select> of
 * 20,000 unclosed options: quadratic in Lexbor) runs for minutes or hours inside one C call that
 * holds the GIL: no Python thread or signal handler runs until it returns. This thread needs no GIL.
 * The worker says which record it is extracting (at); when the armed thread (the one that called
 * arm, the reader) has spent more CPU time on one record than the limit, this thread appends the
 * record's number to the armed file and kills the process with SIGKILL; the pool sees a dead worker
 * and the ingest reruns the file without that record. CPU time, not wall time: a stopped process
 * (Ctrl-Z, SIGSTOP, a frozen cgroup), a busy machine or a reader waiting for the GIL is not slow.
 * at() reads no clock (a thread's CPU clock is a system call, ~3-5% of a small page's time when read
 * per record): it counts; the thread notes the reader's CPU time when it first sees a new count (up
 * to a tick after the record began), and looks once a tick, so a record is ended after between the
 * limit and the limit plus two ticks of CPU time (measured: 0.01-0.09 s past it).
 *
 *   arm(limit_seconds, path)   watch the calling thread from now on (limit 0: stop); starts the thread once
 *   at(record)                 the record of this number is being extracted from now (-1: none)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 50000000LL       /* how often the thread looks: 0.05 s */
#define MAX_LIMIT_S 1000000000.0 /* larger limits are no limit */

/* Shared with the thread: the record, the count of at() and arm() calls and the reader's clock through
 * __atomic loads and stores; the limit, the path and the decision to kill under `lock`. */
static long long record_offset = -1;
static unsigned long long said; /* twice the at() and arm() calls so far, odd while one is storing (a seqlock): a record
                                  * seen twice under one even count has run between */
static long long limit_ns;
static clockid_t reader_clock;
static char path[4096];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t thread_pid; /* the process the thread runs in (a forked child has none) */

static long long cpu_ns(clockid_t clock) {
    struct timespec t;
    if (clock_gettime(clock, &t) != 0) return 0;
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Under lock, once a tick: the record that is still running and has had more than the limit of the
 * reader's CPU time since the thread first saw it, or -1. */
static long long overdue_record(void) {
    static unsigned long long seen = 0; /* the count of the record being timed, and the reader's CPU time then */
    static long long seen_at_ns;
    unsigned long long count = __atomic_load_n(&said, __ATOMIC_SEQ_CST);
    long long offset = __atomic_load_n(&record_offset, __ATOMIC_SEQ_CST);
    long long now = cpu_ns(__atomic_load_n(&reader_clock, __ATOMIC_SEQ_CST));
    /* odd, or changed between its two loads: a call was storing, and the offset may be another record's */
    if ((count & 1) || count != seen || count != __atomic_load_n(&said, __ATOMIC_SEQ_CST)) {
        seen = count;
        seen_at_ns = now;
        return -1;
    }
    return limit_ns > 0 && offset >= 0 && now - seen_at_ns > limit_ns ? offset : -1;
}

static void *watch(void *unused) {
    (void)unused;
    struct timespec tick = {0, TICK_NS};
    for (;;) {
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&lock);
        long long offset = overdue_record();
        if (offset >= 0) {
            int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                char line[32];
                int n = snprintf(line, sizeof line, "%lld\n", offset);
                if (write(fd, line, (size_t)n) == n) fsync(fd);
                close(fd);
            }
            kill(getpid(), SIGKILL);
        }
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static PyObject *arm(PyObject *self, PyObject *args) {
    double seconds;
    const char *file;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "ds#", &seconds, &file, &len)) return NULL;
    if (len >= (Py_ssize_t)sizeof path) {
        PyErr_SetString(PyExc_ValueError, "watchdog file path too long");
        return NULL;
    }
    clockid_t clock;
    int err = pthread_getcpuclockid(pthread_self(), &clock);
    if (err) {
        errno = err;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    int on = seconds > 0 && seconds < MAX_LIMIT_S; /* also false for NaN */
    pthread_mutex_lock(&lock);
    memcpy(path, file, (size_t)len + 1);
    __atomic_add_fetch(&said, 1, __ATOMIC_SEQ_CST); /* a new clock: the thread times from now */
    __atomic_store_n(&reader_clock, clock, __ATOMIC_SEQ_CST);
    __atomic_store_n(&record_offset, -1LL, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&said, 1, __ATOMIC_SEQ_CST);
    limit_ns = on ? (long long)(seconds * 1e9) : 0;
    pthread_mutex_unlock(&lock);
    if (on && thread_pid != getpid()) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        err = pthread_create(&thread, &attr, watch, NULL);
        pthread_attr_destroy(&attr);
        if (err) {
            pthread_mutex_lock(&lock);
            limit_ns = 0;
            pthread_mutex_unlock(&lock);
            errno = err;
            return PyErr_SetFromErrno(PyExc_OSError);
        }
        thread_pid = getpid();
    }
    Py_RETURN_NONE;
}

static PyObject *at(PyObject *self, PyObject *arg) {
    long long offset = PyLong_AsLongLong(arg);
    if (offset == -1 && PyErr_Occurred()) return NULL;
    /* the count odd while the offset changes: a thread that reads the offset between the two sees an odd or a
     * changed count, and times nothing (overdue_record) */
    __atomic_add_fetch(&said, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&record_offset, offset, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&said, 1, __ATOMIC_SEQ_CST);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"arm", arm, METH_VARARGS, "Watch the calling thread's records: past limit_seconds of its CPU on one, append its number to path and SIGKILL this process (0: stop)."},
    {"at", at, METH_O, "The record of this number is being extracted from now (-1: none)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_watchdog", NULL, -1, methods};

PyMODINIT_FUNC PyInit__watchdog(void) { return PyModule_Create(&module); }
