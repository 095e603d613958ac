/* _watchdog: end this process when one record takes too long (see provenance/ingest/record_timeout.py).
 *
 * A parser's worst case (100,000 attributes in one tag, 20,000 distinct <font>s, a <select> of
 * 20,000 unclosed options: quadratic in Lexbor) runs for minutes or hours inside one C call that
 * holds the GIL: no Python thread or signal handler runs until it returns. This thread needs no GIL.
 * The worker says which record it is extracting (at); when one has run for longer than the limit,
 * the thread writes the record's offset to the armed file and kills the process with SIGKILL; the
 * pool sees a dead worker and the ingest reruns the file without that record.
 *
 *   arm(limit_seconds, path)   watch from now on (limit 0: stop watching); starts the thread once
 *   at(offset)                 the record at this offset is being extracted from now (-1: none)
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

#define TICK_NS 50000000LL /* how often the thread looks: 0.05 s */

static long long record_offset = -1; /* all three shared with the thread through __atomic loads and stores */
static long long record_since_ns;
static long long limit_ns;
static char path[4096];
static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t thread_pid; /* the process the thread runs in (a forked child has none) */

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void overdue(long long offset) {
    pthread_mutex_lock(&path_lock);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        char line[32];
        int n = snprintf(line, sizeof line, "%lld\n", offset);
        if (write(fd, line, (size_t)n) == n) fsync(fd);
        close(fd);
    }
    kill(getpid(), SIGKILL);
    pthread_mutex_unlock(&path_lock); /* not reached */
}

static void *watch(void *unused) {
    (void)unused;
    struct timespec tick = {0, TICK_NS};
    for (;;) {
        nanosleep(&tick, NULL);
        long long limit = __atomic_load_n(&limit_ns, __ATOMIC_ACQUIRE);
        long long offset = __atomic_load_n(&record_offset, __ATOMIC_ACQUIRE); /* before its start time: see at() */
        long long since = __atomic_load_n(&record_since_ns, __ATOMIC_ACQUIRE);
        if (limit > 0 && offset >= 0 && now_ns() - since > limit) overdue(offset);
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
    pthread_mutex_lock(&path_lock);
    memcpy(path, file, (size_t)len + 1);
    pthread_mutex_unlock(&path_lock);
    __atomic_store_n(&record_offset, -1LL, __ATOMIC_RELEASE);
    __atomic_store_n(&limit_ns, seconds > 0 ? (long long)(seconds * 1e9) : 0LL, __ATOMIC_RELEASE);
    if (seconds > 0 && thread_pid != getpid()) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&thread, &attr, watch, NULL);
        pthread_attr_destroy(&attr);
        if (err) {
            __atomic_store_n(&limit_ns, 0LL, __ATOMIC_RELEASE);
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
    /* the start time first: a thread that sees the new offset sees its start time too */
    if (offset >= 0) __atomic_store_n(&record_since_ns, now_ns(), __ATOMIC_RELEASE);
    __atomic_store_n(&record_offset, offset, __ATOMIC_RELEASE);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"arm", arm, METH_VARARGS, "Watch records from now on: past limit_seconds on one, write its offset to path and SIGKILL this process (0: stop)."},
    {"at", at, METH_O, "The record at this offset is being extracted from now (-1: none)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_watchdog", NULL, -1, methods};

PyMODINIT_FUNC PyInit__watchdog(void) { return PyModule_Create(&module); }
