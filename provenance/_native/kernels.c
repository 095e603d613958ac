/* provenance._kernels: the ingest hot loop in C (word tokens, their xxh3 hashes, dictionary
 * encoding, MinHash). Every function here has a numpy/polars reference in provenance/ingest
 * (tokenize.py, minhash.py) and the tests assert both give identical results; the package works
 * without this module, only slower.
 *
 * Word tokens follow tokenize.WORD_PATTERN through a per-code-point class table built from that
 * same regex (provenance/ingest/wordclass.py): bit 1 = word character outside the no-space
 * scripts, bit 2 = character of a no-space script (one token each, with its following marks),
 * bit 4 = combining mark.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include "xxhash.h"

#define CLS_WORD 1
#define CLS_NOSPACE 2
#define CLS_MARK 4
#define N_CODEPOINTS 0x110000

/* Decode one UTF-8 code point at s[i] (valid UTF-8, or CPython's surrogatepass bytes). */
static inline uint32_t next_cp(const unsigned char *s, Py_ssize_t n, Py_ssize_t *i) {
    unsigned char c = s[*i];
    if (c < 0x80) { *i += 1; return c; }
    if (c < 0xE0 && *i + 1 < n) { uint32_t cp = ((c & 0x1F) << 6) | (s[*i + 1] & 0x3F); *i += 2; return cp; }
    if (c < 0xF0 && *i + 2 < n) {
        uint32_t cp = ((c & 0x0F) << 12) | ((s[*i + 1] & 0x3F) << 6) | (s[*i + 2] & 0x3F); *i += 3; return cp;
    }
    if (*i + 3 < n) {
        uint32_t cp = ((c & 0x07) << 18) | ((s[*i + 1] & 0x3F) << 12) | ((s[*i + 2] & 0x3F) << 6) | (s[*i + 3] & 0x3F);
        *i += 4; return cp < N_CODEPOINTS ? cp : 0;
    }
    *i = n; return 0;
}

typedef struct { uint64_t *data; Py_ssize_t len, cap; } vec64;
typedef struct { int32_t *data; Py_ssize_t len, cap; } vec32;

static int push64(vec64 *v, uint64_t x) {
    if (v->len == v->cap) {
        Py_ssize_t cap = v->cap ? v->cap * 2 : 4096;
        uint64_t *d = realloc(v->data, cap * sizeof *d);
        if (!d) return -1;
        v->data = d; v->cap = cap;
    }
    v->data[v->len++] = x;
    return 0;
}

static int push32(vec32 *v, int32_t x) {
    if (v->len == v->cap) {
        Py_ssize_t cap = v->cap ? v->cap * 2 : 4096;
        int32_t *d = realloc(v->data, cap * sizeof *d);
        if (!d) return -1;
        v->data = d; v->cap = cap;
    }
    v->data[v->len++] = x;
    return 0;
}

/* Open-addressing map from token hash to its dictionary index. */
typedef struct { uint64_t *keys; int32_t *vals; Py_ssize_t mask, size; } hmap;

static int hmap_init(hmap *m, Py_ssize_t cap) {
    Py_ssize_t n = 1024;
    while (n < cap * 2) n <<= 1;
    m->keys = malloc(n * sizeof *m->keys);
    m->vals = malloc(n * sizeof *m->vals);
    if (!m->keys || !m->vals) return -1;
    for (Py_ssize_t i = 0; i < n; i++) m->vals[i] = -1;
    m->mask = n - 1; m->size = 0;
    return 0;
}

static int hmap_grow(hmap *m) {
    hmap bigger;
    if (hmap_init(&bigger, (m->mask + 1)) < 0) return -1;
    for (Py_ssize_t i = 0; i <= m->mask; i++) {
        if (m->vals[i] < 0) continue;
        Py_ssize_t j = (Py_ssize_t)(m->keys[i] & (uint64_t)bigger.mask);
        while (bigger.vals[j] >= 0) j = (j + 1) & bigger.mask;
        bigger.keys[j] = m->keys[i]; bigger.vals[j] = m->vals[i];
    }
    bigger.size = m->size;
    free(m->keys); free(m->vals);
    *m = bigger;
    return 0;
}

/* Return the slot of key (found: vals >= 0; else an empty slot to fill). */
static inline Py_ssize_t hmap_slot(const hmap *m, uint64_t key) {
    Py_ssize_t j = (Py_ssize_t)(key & (uint64_t)m->mask);
    while (m->vals[j] >= 0 && m->keys[j] != key) j = (j + 1) & m->mask;
    return j;
}

static PyObject *bytes_of(const void *data, Py_ssize_t n) {
    return PyBytes_FromStringAndSize(n ? (const char *)data : "", n);
}

/* tokenize(texts: list[str], classes: bytes) ->
 *   (hashes: bytes of uint64 per token, index: bytes of int32 dictionary index per token,
 *    lengths: bytes of int64 tokens per text, vocab_hashes: bytes of uint64, vocab: list[str]) */
static PyObject *tokenize(PyObject *self, PyObject *args) {
    PyObject *texts;
    Py_buffer cls;
    if (!PyArg_ParseTuple(args, "O!y*", &PyList_Type, &texts, &cls)) return NULL;
    if (cls.len != N_CODEPOINTS) {
        PyBuffer_Release(&cls);
        PyErr_SetString(PyExc_ValueError, "class table must have 0x110000 entries");
        return NULL;
    }
    const unsigned char *table = cls.buf;
    Py_ssize_t n_texts = PyList_GET_SIZE(texts);
    vec64 hashes = {0}, vhash = {0};
    vec32 index = {0};
    int64_t *lengths = malloc((n_texts ? n_texts : 1) * sizeof *lengths);
    PyObject *vocab = PyList_New(0), *result = NULL;
    hmap map = {0};
    if (!lengths || !vocab || hmap_init(&map, 65536) < 0) { PyErr_NoMemory(); goto done; }

    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *item = PyList_GET_ITEM(texts, t), *encoded = NULL;
        if (!PyUnicode_Check(item)) { PyErr_SetString(PyExc_TypeError, "texts must be str"); goto done; }
        Py_ssize_t n;
        const unsigned char *s = (const unsigned char *)PyUnicode_AsUTF8AndSize(item, &n);
        if (!s) {  /* lone surrogates: take CPython's surrogatepass bytes */
            PyErr_Clear();
            encoded = PyUnicode_AsEncodedString(item, "utf-8", "surrogatepass");
            if (!encoded) goto done;
            s = (const unsigned char *)PyBytes_AS_STRING(encoded);
            n = PyBytes_GET_SIZE(encoded);
        }
        Py_ssize_t before = hashes.len, i = 0;
        while (i < n) {
            Py_ssize_t start = i;
            uint32_t cp = next_cp(s, n, &i);
            unsigned char c = table[cp];
            if (c & CLS_NOSPACE) {
                while (i < n) {  /* the character and its combining marks */
                    Py_ssize_t j = i;
                    if (!(table[next_cp(s, n, &j)] & CLS_MARK)) break;
                    i = j;
                }
            } else if (c & CLS_WORD) {
                while (i < n) {
                    Py_ssize_t j = i;
                    unsigned char d = table[next_cp(s, n, &j)];
                    if (!(d & CLS_WORD) || (d & CLS_NOSPACE)) break;
                    i = j;
                }
            } else {
                continue;
            }
            uint64_t h = XXH3_64bits(s + start, (size_t)(i - start));
            Py_ssize_t slot = hmap_slot(&map, h);
            int32_t id = map.vals[slot];
            if (id < 0) {
                id = (int32_t)vhash.len;
                map.keys[slot] = h; map.vals[slot] = id; map.size++;
                PyObject *word = PyUnicode_DecodeUTF8((const char *)s + start, i - start, "surrogatepass");
                if (!word || PyList_Append(vocab, word) < 0) { Py_XDECREF(word); Py_XDECREF(encoded); goto done; }
                Py_DECREF(word);
                if (push64(&vhash, h) < 0 || (map.size * 2 > map.mask && hmap_grow(&map) < 0)) {
                    Py_XDECREF(encoded); PyErr_NoMemory(); goto done;
                }
            }
            if (push64(&hashes, h) < 0 || push32(&index, id) < 0) { Py_XDECREF(encoded); PyErr_NoMemory(); goto done; }
        }
        lengths[t] = hashes.len - before;
        Py_XDECREF(encoded);
    }
    result = Py_BuildValue("(NNNNO)", bytes_of(hashes.data, hashes.len * 8), bytes_of(index.data, index.len * 4),
                           bytes_of(lengths, n_texts * 8), bytes_of(vhash.data, vhash.len * 8), vocab);
done:
    PyBuffer_Release(&cls);
    free(hashes.data); free(vhash.data); free(index.data); free(lengths);
    free(map.keys); free(map.vals);
    Py_XDECREF(vocab);
    return result;
}

#define NUM_PERM 128

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30; x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27; x *= 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

#define MIN_LOOP                                                              \
    for (int p = 0; p < NUM_PERM; p++) {                                      \
        uint32_t v = a[p] * x + b[p];                                         \
        sig[p] = v < sig[p] ? v : sig[p];                                     \
    }

static void update_plain(uint32_t *restrict sig, const uint32_t *restrict a, const uint32_t *restrict b, uint32_t x) { MIN_LOOP }
#if defined(__GNUC__) && defined(__x86_64__)
__attribute__((target("avx2")))
static void update_avx2(uint32_t *restrict sig, const uint32_t *restrict a, const uint32_t *restrict b, uint32_t x) { MIN_LOOP }
#endif

/* minhash(hashes: uint64 buffer, lengths: int64 buffer, a: uint32[128], b: uint32[128],
 *         shingle: int, out: writable uint32 buffer of n_docs x 128) -> None
 * Same arithmetic as minhash.shingle_hashes + minhash.signatures. */
static PyObject *minhash(PyObject *self, PyObject *args) {
    Py_buffer hb, lb, ab, bb, ob;
    int k;
    if (!PyArg_ParseTuple(args, "y*y*y*y*iw*", &hb, &lb, &ab, &bb, &k, &ob)) return NULL;
    const uint64_t *h = hb.buf;
    const int64_t *len = lb.buf;
    Py_ssize_t n_docs = lb.len / 8, total = hb.len / 8;
    PyObject *result = NULL;
    if (ab.len != NUM_PERM * 4 || bb.len != NUM_PERM * 4 || ob.len != n_docs * NUM_PERM * 4 || k < 1) {
        PyErr_SetString(PyExc_ValueError, "minhash: buffer sizes do not match");
        goto done;
    }
    void (*update)(uint32_t *, const uint32_t *, const uint32_t *, uint32_t) = update_plain;
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) update = update_avx2;
#endif
    uint32_t *out = ob.buf;
    Py_ssize_t start = 0;
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        uint32_t *sig = out + d * NUM_PERM;
        for (int p = 0; p < NUM_PERM; p++) sig[p] = 0xFFFFFFFFu;
        Py_ssize_t n = len[d];
        if (n < 0 || start + n > total) { PyErr_SetString(PyExc_ValueError, "minhash: lengths exceed hashes"); goto done; }
        Py_ssize_t shingles = n >= k ? n - k + 1 : (n > 0 ? 1 : 0);
        for (Py_ssize_t i = 0; i < shingles; i++) {
            uint64_t acc = h[start + i];
            for (int j = 1; j < k; j++) acc = acc * 0x100000001B3ULL + (i + j < n ? h[start + i + j] : 0);
            update(sig, ab.buf, bb.buf, (uint32_t)(mix64(acc) >> 32));
        }
        start += n;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&hb); PyBuffer_Release(&lb); PyBuffer_Release(&ab); PyBuffer_Release(&bb); PyBuffer_Release(&ob);
    return result;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, "Word tokens of each text: xxh3 hashes, dictionary index, lengths, vocabulary."},
    {"minhash", minhash, METH_VARARGS, "MinHash signatures of k-shingles of token hashes into a uint32 buffer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "provenance's compiled ingest kernels", -1, methods};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
