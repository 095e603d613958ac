/* provenance._kernels: the ingest hot loop in C (word tokens, their xxh3 hashes, dictionary
 * encoding, token counts per group, MinHash). Every function here has a numpy/polars reference in
 * provenance/ingest (tokenize.py, features.py, minhash.py) and the tests assert both give identical
 * results; the package works without this module, only slower.
 *
 * Word tokens follow tokenize.WORD_PATTERN through a per-code-point class table built from that
 * same regex (provenance/ingest/wordclass.py): bit 1 = word character outside the no-space
 * scripts, bit 2 = character of a no-space script that is a token (one each, with its following
 * marks), bit 4 = combining mark, bit 8 = word character that never starts a token (marks, joiners).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include "xxhash.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CLS_WORD 1
#define CLS_NOSPACE 2
#define CLS_MARK 4
#define CLS_NOSTART 8
#define N_CODEPOINTS 0x110000
#define INITIAL_SLOTS 65536 /* 1 MiB: a batch's vocabulary of a few thousand words has few collisions */

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

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#define CTZ64(x) __builtin_ctzll(x)
#define CTZ32(x) __builtin_ctz(x)
#else
#define PREFETCH(p) ((void)(p))
static inline int CTZ64(uint64_t x) { int n = 0; while (!(x & 1)) { x >>= 1; n++; } return n; }
#define CTZ32(x) CTZ64(x)
#endif

typedef struct { uint64_t *data; Py_ssize_t len, cap; } vec64;

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

typedef struct { int32_t *data; Py_ssize_t len, cap; } vec32;

/* Make room for `more` items past v->len (at least doubling). Returns 0, or -1 when out of memory. */
static int reserve32(vec32 *v, Py_ssize_t more) {
    if (v->cap - v->len >= more) return 0;
    Py_ssize_t cap = v->cap ? v->cap : 4096;
    while (cap - v->len < more) {
        if (cap > PY_SSIZE_T_MAX / 8) return -1;
        cap *= 2;
    }
    int32_t *d = realloc(v->data, cap * sizeof *d);
    if (!d) return -1;
    v->data = d; v->cap = cap;
    return 0;
}

/* Open-addressing map (linear probing) from token hash to 1 + its dictionary index (0: an empty
 * slot, so a calloc'ed table is empty). Key and index share a slot: a probe reads one cache line. */
typedef struct { uint64_t key; uint32_t id1; } slot;
typedef struct { slot *slots; Py_ssize_t mask, size; } hmap;

/* An empty map of n_slots (a power of two) slots. Returns 0, or -1 when out of memory. */
static int hmap_init(hmap *m, Py_ssize_t n_slots) {
    m->slots = calloc(n_slots, sizeof *m->slots);
    m->mask = n_slots - 1; m->size = 0;
    return m->slots ? 0 : -1;
}

/* The slot of key: the one holding it (id1 > 0), else the empty slot where it goes. */
static inline slot *hmap_slot(const hmap *m, uint64_t key) {
    Py_ssize_t j = (Py_ssize_t)(key & (uint64_t)m->mask);
    while (m->slots[j].id1 && m->slots[j].key != key) j = (j + 1) & m->mask;
    return m->slots + j;
}

/* Double the slots. Returns 0, or -1 when out of memory (m unchanged). */
static int hmap_grow(hmap *m) {
    hmap bigger;
    if (hmap_init(&bigger, (m->mask + 1) * 2) < 0) return -1;
    for (Py_ssize_t i = 0; i <= m->mask; i++)
        if (m->slots[i].id1) *hmap_slot(&bigger, m->slots[i].key) = m->slots[i];
    bigger.size = m->size;
    free(m->slots);
    *m = bigger;
    return 0;
}

static PyObject *bytes_of(const void *data, Py_ssize_t n) {
    return PyBytes_FromStringAndSize(n ? (const char *)data : "", n);
}

/* The end of the marks that follow a no-space character: past each following code point of class mark. */
static inline Py_ssize_t marks_end(const unsigned char *table, const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
    while (i < n) {
        Py_ssize_t j = i;
        if (!(table[next_cp(s, n, &j)] & CLS_MARK)) break;
        i = j;
    }
    return i;
}

/* What the scan needs: the class table, and the ASCII bytes that continue a word (class word and not
 * no-space) as a byte table and, with SSE2, as up to 4 byte ranges, to test 16 bytes at a time. */
typedef struct {
    const unsigned char *table;
    unsigned char word_byte[256];  /* 1 for an ASCII byte that continues a word; 0 for the others and bytes >= 0x80 */
#ifdef __SSE2__
    int simd;  /* 1 when the ranges below are the word bytes (at most 4 ranges); unused ranges repeat the first */
    __m128i lo[4], span[4];  /* range r: lo[r] .. lo[r] + span[r], in every byte */
#endif
} scanner;

/* Fill sc from the class table (0x110000 bytes). */
static void scanner_init(scanner *sc, const unsigned char *table) {
    sc->table = table;
    memset(sc->word_byte, 0, sizeof sc->word_byte);
    for (int b = 0; b < 0x80; b++) sc->word_byte[b] = (table[b] & (CLS_WORD | CLS_NOSPACE)) == CLS_WORD;
#ifdef __SSE2__
    int ranges = 0, lo[5] = {0}, hi[5] = {0};
    for (int b = 0; b < 0x80 && ranges <= 4; b++) {
        if (!sc->word_byte[b]) continue;
        if (ranges && hi[ranges - 1] == b - 1) hi[ranges - 1] = b;
        else { lo[ranges] = hi[ranges] = b; ranges++; }
    }
    sc->simd = ranges >= 1 && ranges <= 4;
    for (int r = 0; r < 4; r++) {
        int k = r < ranges ? r : 0;
        sc->lo[r] = _mm_set1_epi8((char)lo[k]);
        sc->span[r] = _mm_set1_epi8((char)(hi[k] - lo[k]));
    }
#endif
}

/* The first position >= i whose byte does not continue an ASCII word (n if none). */
static inline Py_ssize_t ascii_run_end(const scanner *sc, const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
#ifdef __SSE2__
    if (sc->simd && i < n && sc->word_byte[s[i]]) {  /* (not for a run of none: non-ASCII text) */
        while (i + 16 <= n) {
            __m128i x = _mm_loadu_si128((const __m128i *)(s + i)), in = _mm_setzero_si128();
            for (int r = 0; r < 4; r++) {  /* x - lo <= span, unsigned: x in the range (no byte >= 0x80 is) */
                __m128i d = _mm_sub_epi8(x, sc->lo[r]);
                in = _mm_or_si128(in, _mm_cmpeq_epi8(_mm_min_epu8(d, sc->span[r]), d));
            }
            unsigned out = ~(unsigned)_mm_movemask_epi8(in) & 0xFFFF;
            if (out) return i + CTZ32(out);
            i += 16;
        }
    }
#endif
    while (i < n && sc->word_byte[s[i]]) i++;
    return i;
}

/* The end of a word run continuing at s[i]: past each following code point of class word and not
 * no-space. ASCII bytes are tested without decoding. */
static inline Py_ssize_t word_end(const scanner *sc, const unsigned char *s, Py_ssize_t n, Py_ssize_t i) {
    while (i < n) {
        if (s[i] < 0x80) {
            if (!sc->word_byte[s[i]]) return i;
            i = ascii_run_end(sc, s, n, i + 1);
            continue;
        }
        Py_ssize_t j = i;
        if ((sc->table[next_cp(s, n, &j)] & (CLS_WORD | CLS_NOSPACE)) != CLS_WORD) return i;
        i = j;
    }
    return i;
}

/* The next token at or after s[*pos]: returns 1 with its bytes s[*start..*pos), or 0 (*pos = n)
 * when s has no more. A token is a no-space character with its marks, or a word run that does not
 * start with a mark or joiner. */
static inline int next_token(const scanner *sc, const unsigned char *s, Py_ssize_t n, Py_ssize_t *pos, Py_ssize_t *start) {
    const unsigned char *table = sc->table;
    Py_ssize_t i = *pos;
    while (i < n) {
        Py_ssize_t begin = i;
        unsigned char c = s[i] < 0x80 ? table[s[i++]] : table[next_cp(s, n, &i)];
        if (c & CLS_NOSPACE) i = marks_end(table, s, n, i);
        else if ((c & (CLS_WORD | CLS_NOSTART)) == CLS_WORD) i = word_end(sc, s, n, i);
        else continue;
        *start = begin; *pos = i;
        return 1;
    }
    *pos = n;
    return 0;
}

/* A span of UTF-8 bytes where a batch's texts hold them (a text, or a dictionary entry: copied out by vocab_buffers). */
typedef struct { const unsigned char *s; Py_ssize_t n; } span;

/* A batch being tokenized: each token's dictionary index, the dictionary (hash -> index map, hashes,
 * the bytes of each entry). No Python object is touched while tokenizing: it runs without the GIL. */
typedef struct {
    scanner scan;
    vec32 index;
    hmap map;
    vec64 vocab_hashes;
    span *words;  /* one per vocab_hashes entry; room for vocab_hashes.cap */
    Py_ssize_t words_cap;
} tokenizer;

#define TK_NOMEM (-1)
#define TK_OVERFLOW (-2)

/* Once the dictionary has DIRECT_MAX entries, tokens are looked up CHUNK at a time: their slots are
 * prefetched while the next tokens are found, so the map's cache misses overlap with the scanning.
 * A smaller dictionary stays in cache, and each token is looked up as soon as it is found. */
#define DIRECT_MAX 4096
#define CHUNK 32

/* Add the token s[start..end) with hash h to the dictionary, at slot `at`; returns its index, or
 * TK_NOMEM / TK_OVERFLOW. */
static int32_t add_word(tokenizer *tk, slot *at, uint64_t h, const unsigned char *s, Py_ssize_t start, Py_ssize_t end) {
    if (tk->vocab_hashes.len >= INT32_MAX) return TK_OVERFLOW;
    int32_t id = (int32_t)tk->vocab_hashes.len;
    if (push64(&tk->vocab_hashes, h) < 0) return TK_NOMEM;
    if (tk->words_cap < tk->vocab_hashes.cap) {
        span *w = realloc(tk->words, tk->vocab_hashes.cap * sizeof *w);
        if (!w) { tk->vocab_hashes.len--; return TK_NOMEM; }
        tk->words = w; tk->words_cap = tk->vocab_hashes.cap;
    }
    tk->words[id] = (span){s + start, end - start};
    at->key = h; at->id1 = (uint32_t)id + 1; tk->map.size++;
    if (tk->map.size * 2 > tk->map.mask && hmap_grow(&tk->map) < 0) return TK_NOMEM;
    return id;
}

/* Look up the token s[start..end) with hash h (adding it if new) and append its index. Returns 0,
 * or TK_NOMEM / TK_OVERFLOW. */
static inline int add_token(tokenizer *tk, uint64_t h, const unsigned char *s, Py_ssize_t start, Py_ssize_t end) {
    slot *at = hmap_slot(&tk->map, h);
    int32_t id = at->id1 ? (int32_t)(at->id1 - 1) : add_word(tk, at, h, s, start, end);
    if (id < 0) return id;
    if (tk->index.len == tk->index.cap && reserve32(&tk->index, 1) < 0) return TK_NOMEM;
    tk->index.data[tk->index.len++] = id;
    return 0;
}

/* Tokenize the UTF-8 bytes s[0..n) into tk. Returns the number of tokens, or TK_NOMEM / TK_OVERFLOW. */
static Py_ssize_t tokenize_text(tokenizer *tk, const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t before = tk->index.len, pos = 0, start[CHUNK], end[CHUNK];
    uint64_t hash[CHUNK];
    int rc;
    while (pos < n && tk->map.size < DIRECT_MAX && next_token(&tk->scan, s, n, &pos, &start[0]))
        if ((rc = add_token(tk, XXH3_64bits(s + start[0], (size_t)(pos - start[0])), s, start[0], pos)) < 0) return rc;
    while (pos < n) {
        int k = 0;
        for (; k < CHUNK && next_token(&tk->scan, s, n, &pos, &start[k]); k++) {
            end[k] = pos;
            hash[k] = XXH3_64bits(s + start[k], (size_t)(end[k] - start[k]));
            PREFETCH(tk->map.slots + (hash[k] & (uint64_t)tk->map.mask));
        }
        for (int t = 0; t < k; t++)
            if ((rc = add_token(tk, hash[t], s, start[t], end[t])) < 0) return rc;
    }
    return tk->index.len - before;
}

/* The dictionary's entries as an Arrow string array's buffers: *offsets (int32, entries + 1) and
 * *data (their UTF-8 back to back), new bytes objects. Returns 0, or -1 (an exception set). */
static int vocab_buffers(const tokenizer *tk, PyObject **offsets, PyObject **data) {
    Py_ssize_t n = tk->vocab_hashes.len, total = 0;
    for (Py_ssize_t i = 0; i < n; i++) total += tk->words[i].n;
    if (total > INT32_MAX) { PyErr_SetString(PyExc_OverflowError, "tokenize: the dictionary holds more than 2 GiB"); return -1; }
    *offsets = PyBytes_FromStringAndSize(NULL, (n + 1) * 4);
    *data = PyBytes_FromStringAndSize(NULL, total);
    if (!*offsets || !*data) { Py_CLEAR(*offsets); Py_CLEAR(*data); return -1; }
    int32_t *off = (int32_t *)PyBytes_AS_STRING(*offsets);
    char *out = PyBytes_AS_STRING(*data);
    off[0] = 0;
    for (Py_ssize_t i = 0, at = 0; i < n; i++) {
        memcpy(out + at, tk->words[i].s, (size_t)tk->words[i].n);
        at += tk->words[i].n;
        off[i + 1] = (int32_t)at;
    }
    return 0;
}

/* bytes of the uint64 hash of each token: its dictionary entry's. NULL (an exception set) when out of memory. */
static PyObject *token_hashes(vec32 index, const uint64_t *vocab_hashes) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, index.len * 8);
    if (!out) return NULL;
    uint64_t *h = (uint64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < index.len; i++) h[i] = vocab_hashes[index.data[i]];
    return out;
}

/* The UTF-8 bytes of text, *n of them; for a text with lone surrogates, CPython's surrogatepass
 * bytes, held in *keep (a new reference for the caller to release). NULL (an exception set) if
 * the text is not a str. */
static const unsigned char *utf8_of(PyObject *text, Py_ssize_t *n, PyObject **keep) {
    *keep = NULL;
    if (!PyUnicode_Check(text)) { PyErr_SetString(PyExc_TypeError, "texts must be str"); return NULL; }
    const char *s = PyUnicode_AsUTF8AndSize(text, n);
    if (s) return (const unsigned char *)s;
    PyErr_Clear();
    *keep = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    if (!*keep) return NULL;
    *n = PyBytes_GET_SIZE(*keep);
    return (const unsigned char *)PyBytes_AS_STRING(*keep);
}

/* tokenize(texts: list[str], classes: bytes) ->
 *   (hashes: bytes of uint64 per token, index: bytes of int32 dictionary index per token,
 *    lengths: bytes of int64 tokens per text, vocab_hashes: bytes of uint64,
 *    vocab_offsets: bytes of int32 per entry + 1, vocab_data: bytes: the entries' UTF-8, an Arrow string array's buffers) */
static PyObject *tokenize(PyObject *self, PyObject *args) {
    PyObject *list;
    Py_buffer cls;
    if (!PyArg_ParseTuple(args, "O!y*", &PyList_Type, &list, &cls)) return NULL;
    if (cls.len != N_CODEPOINTS) {
        PyBuffer_Release(&cls);
        PyErr_SetString(PyExc_ValueError, "class table must have 0x110000 entries");
        return NULL;
    }
    PyObject *texts = PyList_AsTuple(list);  /* holds every text (and so its UTF-8) while the GIL is released */
    Py_ssize_t n_texts = texts ? PyTuple_GET_SIZE(texts) : 0;
    tokenizer tk = {0};
    scanner_init(&tk.scan, cls.buf);
    int64_t *lengths = malloc((n_texts ? n_texts : 1) * sizeof *lengths);
    span *utf8 = malloc((n_texts ? n_texts : 1) * sizeof *utf8);
    PyObject **keep = calloc(n_texts ? n_texts : 1, sizeof *keep);  /* surrogatepass copies, see utf8_of */
    PyObject *result = NULL;
    Py_ssize_t chars = 0;  /* English has a token per ~6.5 characters: room for a token per 4 grows rarely */
    int rc = 0;
    if (!texts) goto done;
    if (!lengths || !utf8 || !keep) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t t = 0; t < n_texts; t++) {
        PyObject *text = PyTuple_GET_ITEM(texts, t);
        if (!(utf8[t].s = utf8_of(text, &utf8[t].n, &keep[t]))) goto done;
        chars += PyUnicode_GET_LENGTH(text);
    }
    if (hmap_init(&tk.map, INITIAL_SLOTS) < 0 || reserve32(&tk.index, chars / 4 + 1) < 0) { PyErr_NoMemory(); goto done; }
    Py_BEGIN_ALLOW_THREADS  /* C buffers only until the dictionary's strings are made: the caller's other threads run meanwhile */
    for (Py_ssize_t t = 0; t < n_texts && rc == 0; t++) {
        Py_ssize_t count = tokenize_text(&tk, utf8[t].s, utf8[t].n);
        if (count < 0) rc = (int)count;
        else lengths[t] = count;
    }
    Py_END_ALLOW_THREADS
    if (rc == TK_OVERFLOW) { PyErr_SetString(PyExc_OverflowError, "tokenize: more than 2**31 distinct tokens"); goto done; }
    if (rc < 0) { PyErr_NoMemory(); goto done; }
    PyObject *offsets, *data;
    if (vocab_buffers(&tk, &offsets, &data) < 0) goto done;
    result = Py_BuildValue("(NNNNNN)", token_hashes(tk.index, tk.vocab_hashes.data), bytes_of(tk.index.data, tk.index.len * 4),
                           bytes_of(lengths, n_texts * 8), bytes_of(tk.vocab_hashes.data, tk.vocab_hashes.len * 8), offsets, data);
done:
    PyBuffer_Release(&cls);
    if (keep)
        for (Py_ssize_t t = 0; t < n_texts; t++) Py_XDECREF(keep[t]);
    free(keep); free(utf8); Py_XDECREF(texts);
    free(tk.index.data); free(tk.vocab_hashes.data); free(tk.words); free(lengths); free(tk.map.slots);
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
    Py_ssize_t start = 0, d = 0;
    Py_BEGIN_ALLOW_THREADS  /* plain buffers from here on: the caller's other threads run meanwhile */
    for (; d < n_docs; d++) {
        uint32_t *sig = out + d * NUM_PERM;
        for (int p = 0; p < NUM_PERM; p++) sig[p] = 0xFFFFFFFFu;
        Py_ssize_t n = len[d];
        if (n < 0 || start + n > total) break;
        Py_ssize_t shingles = n >= k ? n - k + 1 : (n > 0 ? 1 : 0);
        for (Py_ssize_t i = 0; i < shingles; i++) {
            uint64_t acc = h[start + i];
            for (int j = 1; j < k; j++) acc = acc * 0x100000001B3ULL + (i + j < n ? h[start + i + j] : 0);
            update(sig, ab.buf, bb.buf, (uint32_t)(mix64(acc) >> 32));
        }
        start += n;
    }
    Py_END_ALLOW_THREADS
    if (d < n_docs) { PyErr_SetString(PyExc_ValueError, "minhash: lengths exceed hashes"); goto done; }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&hb); PyBuffer_Release(&lb); PyBuffer_Release(&ab); PyBuffer_Release(&bb); PyBuffer_Release(&ob);
    return result;
}

/* Stable LSD radix sort of the n ids (8 passes of 8 bits; a pass whose digit all ids share is
 * skipped): writes sorted[r] = the r-th smallest id and rank[i] = the position of ids[i], ties in
 * input order (numpy's argsort kind="stable"). Returns 0, or -1 when out of memory. */
static int rank_ids(const uint64_t *ids, Py_ssize_t n, uint64_t *sorted, uint32_t *rank) {
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys);
    uint32_t *pos = malloc((n ? n : 1) * sizeof *pos), *pos2 = malloc((n ? n : 1) * sizeof *pos2);
    Py_ssize_t (*hist)[256] = calloc(8, sizeof *hist);
    if (!keys || !pos || !pos2 || !hist) { free(keys); free(pos); free(pos2); free(hist); return -1; }
    for (Py_ssize_t i = 0; i < n; i++) {
        for (int d = 0; d < 8; d++) hist[d][(ids[i] >> (8 * d)) & 0xFF]++;
        sorted[i] = ids[i]; pos[i] = (uint32_t)i;
    }
    uint64_t *src = sorted, *dst = keys;
    for (int d = 0; d < 8; d++) {
        if (n == 0 || hist[d][(ids[0] >> (8 * d)) & 0xFF] == n) continue;
        Py_ssize_t at = 0;
        for (int b = 0; b < 256; b++) { Py_ssize_t c = hist[d][b]; hist[d][b] = at; at += c; }
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_ssize_t j = hist[d][(src[i] >> (8 * d)) & 0xFF]++;
            dst[j] = src[i]; pos2[j] = pos[i];
        }
        uint64_t *t = src; src = dst; dst = t;
        uint32_t *u = pos; pos = pos2; pos2 = u;
    }
    if (src != sorted) memcpy(sorted, src, n * sizeof *sorted);
    for (Py_ssize_t r = 0; r < n; r++) rank[pos[r]] = (uint32_t)r;
    free(keys); free(pos); free(pos2); free(hist);
    return 0;
}

/* Order the documents by group, stably: writes start[g]..start[g + 1] = the range of docs (their
 * numbers, ascending) in group g, first[d] = the first token of document d, and tokens[g] = the
 * group's token count. Returns 0, or -1 (an exception set) when out of memory, when a group index
 * or a length is out of range or when the lengths do not sum to n_tokens. */
static int docs_by_group(const int64_t *group, const int64_t *len, Py_ssize_t n_docs, Py_ssize_t n_groups,
                         Py_ssize_t n_tokens, Py_ssize_t *start, Py_ssize_t *docs, Py_ssize_t *first, int64_t *tokens) {
    Py_ssize_t total = 0;
    memset(start, 0, (n_groups + 1) * sizeof *start);
    memset(tokens, 0, n_groups * sizeof *tokens);
    for (Py_ssize_t d = 0; d < n_docs; d++) {
        if (group[d] < 0 || group[d] >= n_groups || len[d] < 0 || len[d] > n_tokens - total) {
            PyErr_SetString(PyExc_ValueError, "count_blocks: a group index or a length is out of range");
            return -1;
        }
        first[d] = total;
        total += len[d];
        start[group[d] + 1]++;
        tokens[group[d]] += len[d];
    }
    if (total != n_tokens) { PyErr_SetString(PyExc_ValueError, "count_blocks: lengths do not sum to the tokens"); return -1; }
    for (Py_ssize_t g = 0; g < n_groups; g++) start[g + 1] += start[g];
    Py_ssize_t *fill = malloc((n_groups ? n_groups : 1) * sizeof *fill);
    if (!fill) { PyErr_NoMemory(); return -1; }
    memcpy(fill, start, n_groups * sizeof *fill);
    for (Py_ssize_t d = 0; d < n_docs; d++) docs[fill[group[d]]++] = d;
    free(fill);
    return 0;
}

/* Scratch for counting one group: a count per vocabulary rank and a bitmap of the ranks seen. */
typedef struct { int64_t *count; uint64_t *seen; Py_ssize_t words; } counter;

/* Count the tokens index[from..to) by rank into c. Returns 0, or -1 when an index is outside the
 * vocabulary (no exception set: this runs without the GIL). */
static int count_tokens(counter *c, const int32_t *index, Py_ssize_t from, Py_ssize_t to, const uint32_t *rank,
                        Py_ssize_t n_vocab) {
    for (Py_ssize_t t = from; t < to; t++) {
        int32_t v = index[t];
        if (v < 0 || v >= n_vocab) return -1;
        uint32_t r = rank[v];
        c->count[r]++;
        c->seen[r >> 6] |= 1ULL << (r & 63);
    }
    return 0;
}

/* Append a row (g, sorted[r], count) per rank r seen, ascending, to the outputs from row k on, and
 * clear c for the next group. Returns the row count after. */
static Py_ssize_t emit_group(counter *c, int64_t g, const uint64_t *sorted, int64_t *out_group, uint64_t *out_id,
                             int64_t *out_count, Py_ssize_t k) {
    for (Py_ssize_t w = 0; w < c->words; w++) {
        uint64_t bits = c->seen[w];
        while (bits) {
            Py_ssize_t r = w * 64 + CTZ64(bits);
            out_group[k] = g; out_id[k] = sorted[r]; out_count[k] = c->count[r];
            c->count[r] = 0; k++;
            bits &= bits - 1;
        }
        c->seen[w] = 0;
    }
    return k;
}

/* count_blocks(index: int32 buffer (dictionary position of each token, flattened over the documents),
 *              lengths: int64 buffer (tokens per document), group: int64 buffer (group of each document),
 *              vocab_ids: uint64 buffer (id of each dictionary entry), n_groups: int) ->
 *   (group: bytes of int64, token_id: bytes of uint64, count: bytes of int64 -- a row per (group, token)
 *    with a nonzero count, by group then ascending id (equal ids: dictionary order) --,
 *    n_tokens: bytes of int64 tokens per group)
 * Same result as features._count_blocks_reference. */
static PyObject *count_blocks(PyObject *self, PyObject *args) {
    Py_buffer ib, lb, gb, vb;
    Py_ssize_t n_groups;
    if (!PyArg_ParseTuple(args, "y*y*y*y*n", &ib, &lb, &gb, &vb, &n_groups)) return NULL;
    Py_ssize_t n_tokens = ib.len / 4, n_docs = lb.len / 8, n_vocab = vb.len / 8, rows = 0, k = 0;
    PyObject *result = NULL;
    uint64_t *sorted = NULL, *out_id = NULL;
    uint32_t *rank = NULL;
    Py_ssize_t *start = NULL, *docs = NULL, *first = NULL;
    int64_t *tokens = NULL, *out_group = NULL, *out_count = NULL;
    counter c = {NULL, NULL, (n_vocab + 63) / 64};
    if (ib.len % 4 || lb.len % 8 || vb.len % 8 || gb.len != lb.len || n_vocab > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "count_blocks: buffer sizes do not match");
        goto done;
    }
    if (n_groups < 0 || n_groups > PY_SSIZE_T_MAX / 16) {
        PyErr_SetString(PyExc_ValueError, "count_blocks: n_groups out of range");
        goto done;
    }
    sorted = malloc((n_vocab ? n_vocab : 1) * sizeof *sorted);
    rank = malloc((n_vocab ? n_vocab : 1) * sizeof *rank);
    start = malloc((n_groups + 1) * sizeof *start);
    docs = malloc((n_docs ? n_docs : 1) * sizeof *docs);
    first = malloc((n_docs ? n_docs : 1) * sizeof *first);
    tokens = malloc((n_groups ? n_groups : 1) * sizeof *tokens);
    c.count = calloc(n_vocab ? n_vocab : 1, sizeof *c.count);
    c.seen = calloc(c.words ? c.words : 1, sizeof *c.seen);
    if (!sorted || !rank || !start || !docs || !first || !tokens || !c.count || !c.seen) {
        PyErr_NoMemory();
        goto done;
    }
    if (docs_by_group(gb.buf, lb.buf, n_docs, n_groups, n_tokens, start, docs, first, tokens) < 0) goto done;
    for (Py_ssize_t g = 0; g < n_groups; g++) rows += tokens[g] < n_vocab ? tokens[g] : n_vocab;  /* at most */
    out_group = malloc((rows ? rows : 1) * sizeof *out_group);
    out_id = malloc((rows ? rows : 1) * sizeof *out_id);
    out_count = malloc((rows ? rows : 1) * sizeof *out_count);
    if (!out_group || !out_id || !out_count) { PyErr_NoMemory(); goto done; }
    int failed = 0;  /* 1: out of memory, 2: a token index outside the vocabulary */
    Py_BEGIN_ALLOW_THREADS  /* C buffers only: the caller's other threads run meanwhile */
    if (rank_ids(vb.buf, n_vocab, sorted, rank) < 0) failed = 1;
    for (Py_ssize_t g = 0; g < n_groups && !failed; g++) {
        if (tokens[g] == 0) continue;
        for (Py_ssize_t j = start[g]; j < start[g + 1] && !failed; j++) {
            Py_ssize_t d = docs[j];
            if (count_tokens(&c, ib.buf, first[d], first[d] + ((const int64_t *)lb.buf)[d], rank, n_vocab) < 0) failed = 2;
        }
        k = emit_group(&c, g, sorted, out_group, out_id, out_count, k);
    }
    Py_END_ALLOW_THREADS
    if (failed == 1) { PyErr_NoMemory(); goto done; }
    if (failed == 2) { PyErr_SetString(PyExc_ValueError, "count_blocks: a token index is outside the vocabulary"); goto done; }
    result = Py_BuildValue("(NNNN)", bytes_of(out_group, k * 8), bytes_of(out_id, k * 8), bytes_of(out_count, k * 8),
                           bytes_of(tokens, n_groups * 8));
done:
    PyBuffer_Release(&ib); PyBuffer_Release(&lb); PyBuffer_Release(&gb); PyBuffer_Release(&vb);
    free(sorted); free(rank); free(start); free(docs); free(first); free(tokens); free(c.count); free(c.seen);
    free(out_group); free(out_id); free(out_count);
    return result;
}

/* first_in_block(block_ptr: int64 buffer (entries of block k: block_ptr[k] .. block_ptr[k+1], from 0 to all of them),
 *                token: int32 buffer (token of each entry), n_vocab: int) ->
 *   bytes: 1 where an entry is its token's first in its block, else 0 (a block's rows may repeat a token).
 * One pass, a last-block mark per token. Same result as periods._first_in_block_reference. */
static PyObject *first_in_block(PyObject *self, PyObject *args) {
    Py_buffer pb, tb;
    Py_ssize_t n_vocab;
    if (!PyArg_ParseTuple(args, "y*y*n", &pb, &tb, &n_vocab)) return NULL;
    PyObject *result = NULL;
    int64_t *last = NULL;
    unsigned char *out = NULL;
    Py_ssize_t n_blocks = pb.len / 8 - 1, n = tb.len / 4;
    const int64_t *ptr = pb.buf;
    const int32_t *tok = tb.buf;
    if (pb.len % 8 || pb.len < 8 || tb.len % 4 || n_vocab < 0 || ptr[0] != 0 || ptr[n_blocks] != n) {
        PyErr_SetString(PyExc_ValueError, "first_in_block: buffer sizes do not match");
        goto done;
    }
    last = malloc((n_vocab ? n_vocab : 1) * sizeof *last);
    out = malloc(n ? n : 1);
    if (!last || !out) { PyErr_NoMemory(); goto done; }
    int bad = 0;  /* 1: blocks out of order, 2: a token outside the vocabulary */
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < n_vocab; t++) last[t] = -1;
    for (Py_ssize_t k = 0; k < n_blocks && !bad; k++) {
        int64_t s = ptr[k], e = ptr[k + 1];
        if (e < s || e > n) { bad = 1; break; }
        for (int64_t j = s; j < e; j++) {
            int32_t t = tok[j];
            if (t < 0 || t >= n_vocab) { bad = 2; break; }
            out[j] = last[t] != k;
            last[t] = k;
        }
    }
    Py_END_ALLOW_THREADS
    if (bad == 1) { PyErr_SetString(PyExc_ValueError, "first_in_block: block_ptr is not ascending"); goto done; }
    if (bad == 2) { PyErr_SetString(PyExc_ValueError, "first_in_block: a token is outside the vocabulary"); goto done; }
    result = bytes_of(out, n);
done:
    PyBuffer_Release(&pb); PyBuffer_Release(&tb);
    free(last); free(out);
    return result;
}

static PyMethodDef methods[] = {
    {"first_in_block", first_in_block, METH_VARARGS, "Whether each entry is its token's first in its block."},
    {"tokenize", tokenize, METH_VARARGS, "Word tokens of each text: xxh3 hashes, dictionary index, lengths, vocabulary."},
    {"count_blocks", count_blocks, METH_VARARGS, "Token counts per (group, token), by group then token id, and tokens per group."},
    {"minhash", minhash, METH_VARARGS, "MinHash signatures of k-shingles of token hashes into a uint32 buffer."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernels", "provenance's compiled ingest kernels", -1, methods};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
