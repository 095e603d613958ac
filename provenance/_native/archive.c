/* provenance._archive: the per-record work of reading archive files, in C, for the common case.
 *
 * Each function handles only input that the Python reader (provenance/ingest/streams.py, readers.py,
 * http.py) would read without a fault, and gives exactly what the Python code gives for it; at the
 * first thing it is not sure of (a corrupt or cut-off gzip member, a record header that is not plain
 * ASCII, a bad Content-Length, a record not yet wholly in the buffer) it stops and leaves that spot
 * to the Python code, which then reports faults, pulls more data or resynchronizes as it always did.
 * So faults, offsets and recovery have one implementation; this module only makes clean input fast.
 * The tests run every reader test and the fuzz cases through both paths and compare.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef HAVE_LIBDEFLATE  /* hatch_build.py defines it where libdeflate's header and library are found */
#include <libdeflate.h>
#endif

#define MIN_MEMBER 20 /* the smallest gzip member: 10-byte header, empty deflate block, 8-byte trailer */

/* At least 64 KiB free in the output buffer *out (of *cap bytes, out_len used): 0 when memory runs out. */
static int make_room(unsigned char **out, Py_ssize_t *cap, Py_ssize_t out_len, Py_ssize_t max_out) {
    if (*cap - out_len >= 65536) return 1;
    Py_ssize_t grown = *cap ? *cap * 2 : (max_out + 65536);
    unsigned char *bigger = realloc(*out, grown);
    if (!bigger) return 0;
    *out = bigger;
    *cap = grown;
    return 1;
}

/* Append (out_at, in_at) to the n members found (room for n_cap): 0 when memory runs out. */
static int add_member(Py_ssize_t (**found)[2], Py_ssize_t *n, Py_ssize_t *n_cap, Py_ssize_t out_at, Py_ssize_t in_at) {
    if (*n == *n_cap) {
        Py_ssize_t grown = *n_cap ? *n_cap * 2 : 64;
        Py_ssize_t (*more)[2] = realloc(*found, grown * sizeof **found);
        if (!more) return 0;
        *found = more;
        *n_cap = grown;
    }
    (*found)[*n][0] = out_at;
    (*found)[*n][1] = in_at;
    (*n)++;
    return 1;
}

/* inflate_members(data, at: int, max_out: int, max_member_out: int) -> (out: bytes, members: list[(out_at, in_at)], used: int)
 *
 * Inflates the gzip members that lie whole in data[at:], one after another, as zlib.decompressobj(31)
 * would: out is their concatenated output, members[i] = (where member i's output starts in out,
 * where the member starts relative to at), used = input bytes consumed. Stops before a member that is
 * corrupt, cut off by the end of data, shorter than a gzip member can be, or that expands past
 * max_member_out, and after the member that brings out to max_out or more. */
static PyObject *inflate_members(PyObject *self, PyObject *args) {
    Py_buffer in;
    Py_ssize_t at, max_out, max_member_out;
    if (!PyArg_ParseTuple(args, "y*nnn", &in, &at, &max_out, &max_member_out)) return NULL;
    PyObject *members = NULL, *result = NULL;
    unsigned char *out = NULL;
    Py_ssize_t out_len = 0, cap = 0, p = at, n = 0, n_cap = 0;
    Py_ssize_t (*found)[2] = NULL;  /* (out_at, in_at) per member */
    const unsigned char *data = in.buf;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    int ready = 0, nomem = 0;
    if (at < 0 || at > in.len || max_out < 1 || max_member_out < 1 || max_out > PY_SSIZE_T_MAX / 4) {  /* (make_room doubles) */
        PyErr_SetString(PyExc_ValueError, "at outside the data, or a limit below 1 or past a quarter of the address space");
        goto done;
    }
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) { PyErr_NoMemory(); goto done; }
    ready = 1;
#ifdef HAVE_LIBDEFLATE
    struct libdeflate_decompressor *fast = libdeflate_alloc_decompressor();  /* NULL: zlib alone */
#endif
    Py_BEGIN_ALLOW_THREADS  /* plain buffers until the results are made: the caller's other threads run meanwhile */
    while (!nomem && out_len < max_out && in.len - p >= MIN_MEMBER && data[p] == 0x1f && data[p + 1] == 0x8b) {
        Py_ssize_t start = out_len;
        if (!make_room(&out, &cap, out_len, max_out)) { nomem = 1; break; }
#ifdef HAVE_LIBDEFLATE
        /* libdeflate first (~2x zlib's speed): a member it inflates whole into the room left, it inflates as zlib
         * would (both check the CRC-32 and length). Anything else is zlib's below, as before: a member cut off by the
         * end of data (the caller reads on), a corrupt one, one larger than the room left or than max_member_out,
         * and one with a header CRC (FHCRC), which zlib checks and libdeflate does not. One difference is left:
         * libdeflate is laxer about invalid codes than zlib (it reads a Huffman code of one codeword, or none, from
         * bits it does not use; the reserved length symbols 286-287 and distance codes 30-31; more code lengths than
         * there are symbols; a code-length repeat past the last): a member so coded (no encoder writes one: a corrupt
         * file's, its CRC-32 and length right) is read here, and is a corrupt member to zlib, and so to the Python
         * reader where it meets it (a member across its reads). tests/ingest/test_archive_kernel.py pins each kind. */
        if (fast && !(data[p + 3] & 0x02)) {
            size_t room = (size_t)(cap - out_len), used_in = 0, got = 0;
            if (room > (size_t)max_member_out + 1) room = (size_t)max_member_out + 1;
            enum libdeflate_result r = libdeflate_gzip_decompress_ex(fast, data + p, (size_t)(in.len - p), out + out_len, room, &used_in, &got);
            if (r == LIBDEFLATE_SUCCESS && got <= (size_t)max_member_out) {
                if (!add_member(&found, &n, &n_cap, start, p - at)) { nomem = 1; break; }
                out_len += (Py_ssize_t)got;
                p += (Py_ssize_t)used_in;
                continue;
            }
        }
#endif
        if (inflateReset(&zs) != Z_OK) break;
        zs.next_in = (unsigned char *)data + p;
        zs.avail_in = (size_t)(in.len - p) > UINT_MAX ? UINT_MAX : (uInt)(in.len - p);
        int rc = Z_OK;
        while (rc == Z_OK) {
            if (!make_room(&out, &cap, out_len, max_out)) { nomem = 1; break; }
            zs.next_out = out + out_len;
            zs.avail_out = (size_t)(cap - out_len) > UINT_MAX ? UINT_MAX : (uInt)(cap - out_len);  /* (a room of 4 GiB or more) */
            rc = inflate(&zs, Z_NO_FLUSH);
            out_len = (Py_ssize_t)(zs.next_out - out);
            if (out_len - start > max_member_out) rc = Z_BUF_ERROR;
            if (rc == Z_OK && zs.avail_in == 0) rc = Z_BUF_ERROR; /* cut off: the rest is in the next read */
        }
        if (rc != Z_STREAM_END || nomem) { out_len = start; break; }
        if (!add_member(&found, &n, &n_cap, start, p - at)) { nomem = 1; out_len = start; break; }
        p += (Py_ssize_t)(zs.next_in - (data + p));
    }
    Py_END_ALLOW_THREADS
#ifdef HAVE_LIBDEFLATE
    libdeflate_free_decompressor(fast);
#endif
    if (nomem) { PyErr_NoMemory(); goto done; }
    if (!(members = PyList_New(n))) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = Py_BuildValue("(nn)", found[i][0], found[i][1]);
        if (!pair) goto done;
        PyList_SET_ITEM(members, i, pair);
    }
    result = Py_BuildValue("(NOn)", PyBytes_FromStringAndSize(out_len ? (const char *)out : "", out_len), members, p - at);
done:
    if (ready) inflateEnd(&zs);
    free(out); free(found);
    Py_XDECREF(members);
    PyBuffer_Release(&in);
    return result;
}

static inline int is_ws(unsigned char c) { return c == ' ' || c == '\t'; }

/* Whether [s, e) holds only printable ASCII, tabs, and newlines as \n or \r\n: text whose Python
 * decoding, splitlines(), strip() and lower() the code below reproduces exactly. */
static int plain_head(const unsigned char *s, const unsigned char *e) {
    for (const unsigned char *q = s; q < e; q++) {
        unsigned char c = *q;
        if (c >= 0x20 && c < 0x7f) continue;
        if (c == '\t' || c == '\n') continue;
        if (c == '\r' && q + 1 < e && q[1] == '\n') continue;
        return 0;
    }
    return 1;
}

/* The next line of [*s, e): sets [*ls, *le) to it without its newline and moves *s past the newline. */
static void next_line(const unsigned char **s, const unsigned char *e, const unsigned char **ls, const unsigned char **le) {
    if (*s >= e) { *ls = *le = e; return; }
    const unsigned char *nl = memchr(*s, '\n', (size_t)(e - *s));
    const unsigned char *end = nl ? nl : e;
    *ls = *s;
    *le = (end > *s && end[-1] == '\r') ? end - 1 : end;
    *s = nl ? nl + 1 : e;
}

static void strip(const unsigned char **s, const unsigned char **e) {
    while (*s < *e && is_ws(**s)) (*s)++;
    while (*e > *s && is_ws((*e)[-1])) (*e)--;
}

/* A lower-cased str of [s, e) (ASCII). */
static PyObject *lower_str(const unsigned char *s, const unsigned char *e) {
    PyObject *str = PyUnicode_New(e - s, 127);
    if (!str) return NULL;
    Py_UCS1 *d = PyUnicode_1BYTE_DATA(str);
    for (Py_ssize_t i = 0; i < e - s; i++) d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i];
    return str;
}

static PyObject *ascii_str(const unsigned char *s, const unsigned char *e) {
    return PyUnicode_DecodeASCII((const char *)s, e - s, NULL);
}

/* The name (lower-cased) and value of a "Name: value" line [ls, le), both stripped of spaces and
 * tabs; 0 when the line has no colon, -1 on error (*name and *value are new references on 1). */
static int field(const unsigned char *ls, const unsigned char *le, PyObject **name, PyObject **value) {
    const unsigned char *colon = memchr(ls, ':', le - ls);
    if (!colon) return 0;
    const unsigned char *ns = ls, *ne = colon, *vs = colon + 1, *ve = le;
    strip(&ns, &ne);
    strip(&vs, &ve);
    *name = lower_str(ns, ne);
    *value = *name ? ascii_str(vs, ve) : NULL;
    if (!*value) { Py_CLEAR(*name); return -1; }
    return 1;
}

/* Header lines of a WARC record after its first line, as readers._parse_headers reads them:
 * "Name: value" with lower-cased names (the last of repeated names wins), continuation lines
 * (starting with a space or tab) appended to the previous value after one space. */
static PyObject *warc_fields(const unsigned char *s, const unsigned char *e) {
    PyObject *headers = PyDict_New(), *last = NULL;
    if (!headers) return NULL;
    const unsigned char *ls, *le;
    next_line(&s, e, &ls, &le); /* WARC/1.x */
    while (s < e) {
        next_line(&s, e, &ls, &le);
        if (ls < le && is_ws(*ls) && last && PyUnicode_GET_LENGTH(last)) { /* Python: `and last` (a non-empty name) */
            strip(&ls, &le);
            PyObject *old = PyDict_GetItemWithError(headers, last);
            if (!old) goto fail;
            PyObject *tail = ascii_str(ls, le), *joined = tail ? PyUnicode_FromFormat("%U %U", old, tail) : NULL;
            Py_XDECREF(tail);
            if (!joined || PyDict_SetItem(headers, last, joined) < 0) { Py_XDECREF(joined); goto fail; }
            Py_DECREF(joined);
            continue;
        }
        PyObject *name, *value;
        int got = field(ls, le, &name, &value);
        if (got == 0) continue;
        if (got < 0 || PyDict_SetItem(headers, name, value) < 0) { if (got > 0) { Py_DECREF(name); Py_DECREF(value); } goto fail; }
        Py_DECREF(value);
        Py_XSETREF(last, name);
    }
    Py_XDECREF(last);
    return headers;
fail:
    Py_XDECREF(last);
    Py_DECREF(headers);
    return NULL;
}

/* The record's Content-Length if it is 1-15 ASCII digits (what readers._content_length accepts), else -1. */
static Py_ssize_t content_length(PyObject *headers) {
    PyObject *v = PyDict_GetItemString(headers, "content-length");
    if (!v || !PyUnicode_IS_ASCII(v)) return -1;
    Py_ssize_t n = PyUnicode_GET_LENGTH(v);
    if (n < 1 || n > 15) return -1;
    const Py_UCS1 *d = PyUnicode_1BYTE_DATA(v);
    int64_t x = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9') return -1;
        x = x * 10 + (d[i] - '0');
    }
    return x > PY_SSIZE_T_MAX ? -1 : (Py_ssize_t)x; /* 32-bit builds: too large, as Python's oversize fault would say */
}

/* Where the header block starting at s ends: the first "\n\n" (*sep = 2), "\r\n\r\n" (*sep = 4) or "\n\r\n" (*sep = 3)
 * lying wholly before lim, as readers._header_end finds it; NULL if none does. */
static const unsigned char *header_end(const unsigned char *s, const unsigned char *lim, int *sep) {
    for (const unsigned char *q = memchr(s, '\n', lim - s); q; q = memchr(q + 1, '\n', lim - (q + 1))) {
        if (q > s && q[-1] == '\r' && lim - q > 2 && q[1] == '\r' && q[2] == '\n') { *sep = 4; return q - 1; }
        if (lim - q > 1 && q[1] == '\n') { *sep = 2; return q; }
        if (lim - q > 2 && q[1] == '\r' && q[2] == '\n') { *sep = 3; return q; } /* LF lines, a CRLF blank line */
        if (lim - q <= 1) break;
    }
    return NULL;
}

static inline int skippable(unsigned char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == 0; }

/* warc_records(buf, pos: int, max_record_bytes: int, max_header_bytes: int) -> (records: list[(start, headers, block)], pos)
 *
 * The WARC records lying whole in buf[pos:] one after another (whitespace and NULs between them
 * skipped, as _Buffer.skip_ws does): each one's start in buf, its header fields (see warc_fields)
 * and its content block; pos is where reading goes on. Stops before anything else: the end of the
 * buffer, a record cut off by it, a header that is not plain ASCII or has no valid Content-Length, a
 * record over max_record_bytes, bytes that do not start a record, a record not followed by one in buf. */
static PyObject *warc_records(PyObject *self, PyObject *args) {
    Py_buffer b;
    Py_ssize_t pos, max_record, max_header;
    if (!PyArg_ParseTuple(args, "y*nnn", &b, &pos, &max_record, &max_header)) return NULL;
    PyObject *records = PyList_New(0), *result = NULL;
    if (!records) goto done;
    if (pos < 0 || pos > b.len || max_record < 0 || max_header < 8) {
        PyErr_SetString(PyExc_ValueError, "pos outside the buffer, or a limit out of range");
        goto done;
    }
    const unsigned char *buf = b.buf, *end = buf + b.len, *p = buf + pos;
    for (;;) {
        const unsigned char *q = p;
        while (q < end && skippable(*q)) q++;
        if (end - q < 5 || memcmp(q, "WARC/", 5) != 0) break;
        const unsigned char *lim = (end - q > max_header) ? q + max_header : end;
        int sep = 0;
        const unsigned char *he = header_end(q, lim, &sep);
        /* A header ending "\n\n" or "\n\r\n" is left to Python: it reads ahead for a "\n\r\n" first, and how far it
         * has read decides the offsets it gives (file_offset) and what a later break drops (_recover). */
        if (!he || sep != 4 || !plain_head(q, he)) break;
        PyObject *headers = warc_fields(q, he);
        if (!headers) goto done;
        Py_ssize_t length = content_length(headers);
        const unsigned char *block = he + sep;
        if (length < 0 || length > max_record || length > end - block) { Py_DECREF(headers); break; }
        /* trusted where a record follows: otherwise (the buffer's end, a length that ran into the next record, junk)
         * Python reads it (readers._overrun) */
        const unsigned char *next = block + length;
        while (next < end && skippable(*next)) next++;
        if (end - next < 5 || memcmp(next, "WARC/", 5) != 0) { Py_DECREF(headers); break; }
        PyObject *rec = Py_BuildValue("(nNN)", (Py_ssize_t)(q - buf), headers,
                                      PyBytes_FromStringAndSize((const char *)block, length));
        if (!rec || PyList_Append(records, rec) < 0) { Py_XDECREF(rec); goto done; }
        Py_DECREF(rec);
        p = block + length;
    }
    result = Py_BuildValue("(On)", records, (Py_ssize_t)(p - buf));
done:
    Py_XDECREF(records);
    PyBuffer_Release(&b);
    return result;
}

/* http_head(block) -> (status: int | None, headers: dict, body_at: int), or None to leave it to http.py
 *
 * The status line and header fields of an HTTP response as http.parse_response reads them: the head
 * ends at the first empty line (CRLF CRLF, LF LF, or a LF-ended line then CRLF); names lower-cased, repeated
 * names joined with ", ". None when the head is not plain ASCII or has no end. */
static PyObject *http_head(PyObject *self, PyObject *args) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    const unsigned char *s = b.buf, *e = s + b.len, *he = NULL, *body = NULL, *q;
    PyObject *headers = NULL, *status = NULL, *result = NULL;
    /* the first empty line: a LF followed by LF or CR LF (CRLF CRLF, LF LF, or mixed line ends) */
    for (q = memchr(s, '\n', e - s); q; q = (e - q > 1) ? memchr(q + 1, '\n', e - (q + 1)) : NULL) {
        if (e - q > 1 && q[1] == '\n') { body = q + 2; break; }
        if (e - q > 2 && q[1] == '\r' && q[2] == '\n') { body = q + 3; break; }
    }
    if (body) he = (q > s && q[-1] == '\r') ? q - 1 : q;
    /* blank lines or spaces before the status line, folded fields: http.py's */
    if (!he || !plain_head(s, he) || is_ws(s[0]) || s[0] == '\r' || s[0] == '\n') { result = Py_NewRef(Py_None); goto done; }
    const unsigned char *ls, *le, *p = s;
    next_line(&p, he, &ls, &le);
    /* status: the second whitespace-separated field of the first line, when the first starts with HTTP/ */
    const unsigned char *f1 = ls;
    while (f1 < le && is_ws(*f1)) f1++;
    const unsigned char *f1e = f1;
    while (f1e < le && !is_ws(*f1e)) f1e++;
    const unsigned char *f2 = f1e;
    while (f2 < le && is_ws(*f2)) f2++;
    const unsigned char *f2e = f2;
    while (f2e < le && !is_ws(*f2e)) f2e++;
    int digits = f2e > f2;
    for (q = f2; digits && q < f2e; q++) digits = *q >= '0' && *q <= '9';
    int http = f1e - f1 >= 5 && PyOS_strnicmp((const char *)f1, "HTTP/", 5) == 0;
    if (http && digits && f2e - f2 > 9) { result = Py_NewRef(Py_None); goto done; } /* a status past int range: Python's int */
    if (http && digits) {
        long code = 0;
        for (q = f2; q < f2e; q++) code = code * 10 + (*q - '0');
        status = PyLong_FromLong(code);
    } else {
        status = Py_NewRef(Py_None);
    }
    headers = PyDict_New();
    if (!status || !headers) goto done;
    while (p < he) {
        next_line(&p, he, &ls, &le);
        if (ls < le && is_ws(*ls)) { result = Py_NewRef(Py_None); goto done; }
        PyObject *name, *value;
        int got = field(ls, le, &name, &value);
        if (got == 0) continue;
        if (got < 0) goto done;
        /* a repeated field's values are gathered in a list and joined once at the end: joining
         * at each repeat was quadratic (2.6 MB of "X-A: b" lines took 3.8 s) */
        PyObject *old = PyDict_GetItemWithError(headers, name);
        int rc;
        if (old && PyList_CheckExact(old)) {
            rc = PyList_Append(old, value);
        } else if (old) {
            PyObject *values = PyList_New(2);
            if (values) {
                PyList_SET_ITEM(values, 0, Py_NewRef(old));
                PyList_SET_ITEM(values, 1, Py_NewRef(value));
            }
            rc = values ? PyDict_SetItem(headers, name, values) : -1;
            Py_XDECREF(values);
        } else {
            rc = PyErr_Occurred() ? -1 : PyDict_SetItem(headers, name, value);
        }
        Py_DECREF(name);
        Py_DECREF(value);
        if (rc < 0) goto done;
    }
    PyObject *key, *values, *sep = PyUnicode_FromString(", ");
    Py_ssize_t at = 0;
    while (sep && PyDict_Next(headers, &at, &key, &values)) {
        if (!PyList_CheckExact(values)) continue;
        PyObject *joined = PyUnicode_Join(sep, values);
        if (!joined || PyDict_SetItem(headers, key, joined) < 0) { Py_XDECREF(joined); Py_CLEAR(sep); break; }
        Py_DECREF(joined);
    }
    if (!sep) goto done;
    Py_DECREF(sep);
    result = Py_BuildValue("(OOn)", status, headers, (Py_ssize_t)(body - s));
done:
    Py_XDECREF(status);
    Py_XDECREF(headers);
    PyBuffer_Release(&b);
    return result;
}

/* control_bytes(data, limit: int) -> int: how many of data's first `limit` bytes are control bytes
 * other than tab, newlines and form feed (http.looks_binary's measure). */
static PyObject *control_bytes(PyObject *self, PyObject *args) {
    Py_buffer b;
    Py_ssize_t limit, count = 0;
    if (!PyArg_ParseTuple(args, "y*n", &b, &limit)) return NULL;
    const unsigned char *s = b.buf;
    Py_ssize_t n = b.len < limit ? b.len : limit;
    for (Py_ssize_t i = 0; i < n; i++) count += s[i] < 32 && s[i] != 9 && s[i] != 10 && s[i] != 12 && s[i] != 13;
    PyBuffer_Release(&b);
    return PyLong_FromSsize_t(count);
}

/* prose_lists(html: bytes) -> [(start, end)]: the <ul> lists to wrap in three <div>s (prose_lists.py) */
#define MAX_LIST_DEPTH 64

static inline int tag_name_ends(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '>'; }

static inline int lower_is(unsigned char c, char want) { return (c | 0x20) == want; }

static Py_ssize_t count_tags(const unsigned char *s, Py_ssize_t from, Py_ssize_t to, char a, char b) {
    Py_ssize_t count = 0;
    const unsigned char *p = s + from, *e = s + to;
    while (p < e && (p = memchr(p, '<', (size_t)(e - p)))) {
        if (b) {
            if (e - p >= 4 && lower_is(p[1], a) && lower_is(p[2], b) && (tag_name_ends(p[3]) || p[3] == '/')) count++;
        } else if (e - p >= 3 && lower_is(p[1], a) && tag_name_ends(p[2])) {
            count++;
        }
        p++;
    }
    return count;
}

static PyObject *prose_lists(PyObject *self, PyObject *args) {
    Py_buffer b;
    if (!PyArg_ParseTuple(args, "y*", &b)) return NULL;
    const unsigned char *s = b.buf, *e = s + b.len, *p = s;
    Py_ssize_t starts[MAX_LIST_DEPTH];
    int depth = 0;
    PyObject *spans = PyList_New(0);
    while (spans && p < e && (p = memchr(p, '<', (size_t)(e - p)))) {
        Py_ssize_t at = p - s;
        if (e - p >= 4 && lower_is(p[1], 'u') && lower_is(p[2], 'l') && (tag_name_ends(p[3]) || p[3] == '/')) {
            if (depth == MAX_LIST_DEPTH) { Py_SETREF(spans, PyList_New(0)); break; } /* absurd nesting: left as it is */
            starts[depth++] = at;
        } else if (depth && e - p >= 5 && p[1] == '/' && lower_is(p[2], 'u') && lower_is(p[3], 'l') && tag_name_ends(p[4])) {
            Py_ssize_t start = starts[--depth];
            const unsigned char *close = memchr(p, '>', (size_t)(e - p));
            if (!close) break;
            Py_ssize_t items = count_tags(s, start, at, 'l', 'i'), links = count_tags(s, start, at, 'a', 0);
            if (items && 2 * links < items) {
                Py_ssize_t keep = PyList_GET_SIZE(spans); /* spans inside this one: it covers them */
                while (keep > 0 && PyLong_AsSsize_t(PyTuple_GET_ITEM(PyList_GET_ITEM(spans, keep - 1), 0)) >= start) keep--;
                PyObject *span = Py_BuildValue("(nn)", start, (Py_ssize_t)(close + 1 - s));
                if (!span || PyList_SetSlice(spans, keep, PyList_GET_SIZE(spans), NULL) < 0 || PyList_Append(spans, span) < 0) Py_CLEAR(spans);
                Py_XDECREF(span);
            }
            p = close; /* the end tag ends at its '>': nothing inside it is markup, so spans never overlap */
        }
        p++;
    }
    PyBuffer_Release(&b);
    return spans;
}

/* tag_census(html: str) -> (containers, rubies, lone): how many '<' are followed by "div", "article",
 * "ul" or "ol", and by "ruby", in any ASCII case: at least as many as the page has start tags of those
 * nesting containers, so at least as many as its tree has such elements (deep_markup.py's first,
 * cheap bound), and whether it may hold ruby annotations (ruby.py); and how many CJK characters stand
 * alone between a '>' and a '<' (ASCII white space around them aside), written as themselves or as a
 * numeric character reference: resiliparse's main-content extraction drops such a text node (census.py).
 * One pass, read in the str's own code units: no copy.
 * join_lone(html: str, mark: str) -> str: html with mark after each of those lone characters. */
#define LOWER_IS(c, want) (((c) | 0x20) == (want)) /* also false for any code unit past ASCII */
/* Whether s[i:] (of n code units) starts with ul, ol, div or article, any ASCII case. */
#define CONTAINER_AT(s, i, n)                                                                                       \
    (((i) + 2 <= (n) && (LOWER_IS((s)[i], 'u') || LOWER_IS((s)[i], 'o')) && LOWER_IS((s)[(i) + 1], 'l')) ||         \
     ((i) + 3 <= (n) && LOWER_IS((s)[i], 'd') && LOWER_IS((s)[(i) + 1], 'i') && LOWER_IS((s)[(i) + 2], 'v')) ||    \
     ((i) + 7 <= (n) && LOWER_IS((s)[i], 'a') && LOWER_IS((s)[(i) + 1], 'r') && LOWER_IS((s)[(i) + 2], 't') &&     \
      LOWER_IS((s)[(i) + 3], 'i') && LOWER_IS((s)[(i) + 4], 'c') && LOWER_IS((s)[(i) + 5], 'l') && LOWER_IS((s)[(i) + 6], 'e')))
#define RUBY_AT(s, i, n) \
    ((i) + 4 <= (n) && LOWER_IS((s)[i], 'r') && LOWER_IS((s)[(i) + 1], 'u') && LOWER_IS((s)[(i) + 2], 'b') && LOWER_IS((s)[(i) + 3], 'y'))
#define HTML_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f')
/* CJK radicals to ideographs (with kana, CJK punctuation, Hangul jamo), Hangul syllables, compatibility
 * ideographs, full-width forms: three bytes each in UTF-8, as census.py's LONE_CJK. */
#define CJK(c) (((c) >= 0x2E80 && (c) <= 0x9FFF) || ((c) >= 0xAC00 && (c) <= 0xD7AF) || ((c) >= 0xF900 && (c) <= 0xFAFF) || \
                ((c) >= 0xFF00 && (c) <= 0xFFEF))
#define MAX_REFERENCE_DIGITS 8
static int hex_value(Py_UCS4 c) {
    if (c >= '0' && c <= '9') return (int)(c - '0');
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (int)((c | 0x20) - 'a' + 10);
    return -1;
}
/* lone_before_T(s, i): for the '<' at s[i], the position just past a CJK character, or past the ';'
 * of a reference to one (&#DIGITS; or &#xHEX;, at most MAX_REFERENCE_DIGITS digits), alone since the
 * last '>' (white space aside); else -1. */
#define LONE_BEFORE(T)                                                                              \
    static Py_ssize_t lone_before_##T(const T *s, Py_ssize_t i) {                                    \
        Py_ssize_t j = i - 1, k;                                                                    \
        while (j >= 0 && HTML_SPACE(s[j])) j--;                                                     \
        if (j < 1) return -1;                                                                       \
        if (s[j] == ';') {                                                                          \
            Py_UCS4 value = 0, scale = 1;                                                           \
            int hex_only = 0;                                                                       \
            for (k = j - 1; k >= 0 && j - 1 - k < MAX_REFERENCE_DIGITS && hex_value(s[k]) >= 0; k--) { \
                value += scale * (Py_UCS4)hex_value(s[k]);                                          \
                hex_only |= s[k] > '9';                                                             \
                scale *= 16;                                                                        \
            }                                                                                       \
            if (k == j - 1 || k < 2) return -1;                                                     \
            if ((s[k] | 0x20) == 'x' && s[k - 1] == '#' && k >= 3 && s[k - 2] == '&') k -= 3;        \
            else if (s[k] == '#' && s[k - 1] == '&' && !hex_only) {                                 \
                value = 0;                                                                          \
                for (Py_ssize_t d = k + 1; d < j; d++) value = value * 10 + (Py_UCS4)(s[d] - '0');  \
                k -= 2;                                                                             \
            } else return -1;                                                                       \
            if (!CJK(value)) return -1;                                                             \
        } else {                                                                                    \
            if (!CJK(s[j])) return -1;                                                              \
            k = j - 1;                                                                              \
        }                                                                                           \
        while (k >= 0 && HTML_SPACE(s[k])) k--;                                                     \
        return k >= 0 && s[k] == '>' ? j + 1 : -1;                                                  \
    }
LONE_BEFORE(Py_UCS1)
LONE_BEFORE(Py_UCS2)
LONE_BEFORE(Py_UCS4)
#define CENSUS(T)                                                                \
    {                                                                            \
        const T *s = (const T *)data;                                            \
        for (Py_ssize_t i = 0; i < n; i++)                                       \
            if (s[i] == '<') {                                                   \
                if (CONTAINER_AT(s, i + 1, n)) containers++;                     \
                else if (RUBY_AT(s, i + 1, n)) rubies++;                         \
                lone += lone_before_##T(s, i) >= 0;                              \
            }                                                                    \
    }

static PyObject *tag_census(PyObject *self, PyObject *html) {
    if (!PyUnicode_Check(html)) {
        PyErr_SetString(PyExc_TypeError, "tag_census() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(html), containers = 0, rubies = 0, lone = 0;
    const void *data = PyUnicode_DATA(html);
    switch (PyUnicode_KIND(html)) {
    case PyUnicode_1BYTE_KIND: { /* no CJK character, but references to them */
        const Py_UCS1 *s = data, *p = s, *e = s + n;
        while (p < e && (p = memchr(p, '<', (size_t)(e - p)))) {
            Py_ssize_t i = p - s;
            if (CONTAINER_AT(s, i + 1, n)) containers++;
            else if (RUBY_AT(s, i + 1, n)) rubies++;
            lone += i >= 3 && s[i - 1] != '>' && lone_before_Py_UCS1(s, i) >= 0;  /* (most '<' follow a '>': no text) */
            p++;
        }
        break;
    }
    case PyUnicode_2BYTE_KIND: CENSUS(Py_UCS2) break;
    default: CENSUS(Py_UCS4) break;
    }
    return Py_BuildValue("(nnn)", containers, rubies, lone);
}

static Py_ssize_t lone_before(int kind, const void *data, Py_ssize_t i) {
    return kind == PyUnicode_1BYTE_KIND ? lone_before_Py_UCS1(data, i)
         : kind == PyUnicode_2BYTE_KIND ? lone_before_Py_UCS2(data, i) : lone_before_Py_UCS4(data, i);
}

static PyObject *join_lone(PyObject *self, PyObject *args) {
    PyObject *html, *mark;
    if (!PyArg_ParseTuple(args, "UU", &html, &mark)) return NULL;
    if (PyUnicode_GET_LENGTH(mark) != 1) {
        PyErr_SetString(PyExc_ValueError, "join_lone(): the mark is one character");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(html), count = 0;
    int kind = PyUnicode_KIND(html);
    const void *data = PyUnicode_DATA(html);
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyUnicode_READ(kind, data, i) == '<') count += lone_before(kind, data, i) >= 0;
    if (count == 0) return Py_NewRef(html);
    Py_UCS4 m = PyUnicode_READ_CHAR(mark, 0), top = PyUnicode_MAX_CHAR_VALUE(html);
    PyObject *out = PyUnicode_New(n + count, m > top ? m : top);
    if (!out) return NULL;
    Py_ssize_t from = 0, to = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyUnicode_READ(kind, data, i) != '<') continue;
        Py_ssize_t at = lone_before(kind, data, i);
        if (at < 0) continue;
        if (PyUnicode_CopyCharacters(out, to, html, from, at - from) < 0) { Py_DECREF(out); return NULL; }
        to += at - from;
        PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), to, m);
        to++;
        from = at;
    }
    if (PyUnicode_CopyCharacters(out, to, html, from, n - from) < 0) { Py_DECREF(out); return NULL; }
    return out;
}

/* serialized_pairs(markup: str, floor: int) -> int: for markup that is a parsed tree as its serializer
 * writes it (resiliparse's Node.html), the sum over its <div>, <article>, <ul> and <ol> elements of
 * how many of them enclose each beyond floor, none counted inside <script>, <style> or <template>;
 * -1 when the markup does not read as such a serialization.
 * The serializer writes every element as <name attributes>children</name>, except the void
 * elements (no end tag), each attribute as ' name="value"' (the value's '"', '<' and '>' escaped; the
 * name may start with '=' and hold quotes but no other '='), comments as <!--text--> (text without
 * "-->"), text with '<' escaped, except inside elements named script, style, xmp, iframe, noembed,
 * noframes and plaintext (in any namespace), whose text is as it was: those are read to their first
 * end tag. That is exact only where each of them holds text alone, without its own end tag in it (a
 * script's text may hold "</script>", an SVG <xmp> may hold elements), and where no <template> holds
 * such text out of the tree's sight: deep_markup.py checks both on the tree before it asks, and
 * walks the tree otherwise. Every end tag must close the innermost open element (an end tag of a
 * void name closes nothing: an SVG <link> has one) and all must be closed, or the answer is -1. */
static const char *const VOID_ELEMENTS[] = {"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
                                            "input", "keygen", "link", "meta", "param", "source", "track", "wbr", NULL};
enum { OPEN_CONTAINER = 1, OPEN_TEMPLATE = 2 };

typedef struct {
    Py_ssize_t name, len; /* the name's offset in the markup and its length */
    int kind;             /* OPEN_CONTAINER (counted), OPEN_TEMPLATE or 0 */
} open_element;

static int name_is(const unsigned char *s, Py_ssize_t n, const char *name) { return (size_t)n == strlen(name) && memcmp(s, name, (size_t)n) == 0; }

static int is_void(const unsigned char *s, Py_ssize_t n) {
    for (int i = 0; VOID_ELEMENTS[i]; i++)
        if (name_is(s, n, VOID_ELEMENTS[i])) return 1;
    return 0;
}

static const char *const RAW_TEXT_ELEMENTS[] = {"script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext", NULL};

static int is_raw_text(const unsigned char *s, Py_ssize_t n) {
    for (int i = 0; RAW_TEXT_ELEMENTS[i]; i++)
        if (name_is(s, n, RAW_TEXT_ELEMENTS[i])) return 1;
    return 0;
}

static long long scan_serialization(const unsigned char *s, Py_ssize_t n, long long floor) {
    const unsigned char *e = s + n, *p = s, *q;
    open_element *stack = NULL;
    Py_ssize_t depth = 0, room = 0;
    long long containers = 0, templates = 0, pairs = 0;
    while (p < e && (p = memchr(p, '<', (size_t)(e - p)))) {
        if (e - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            if (!(q = memmem(p + 4, (size_t)(e - p - 4), "-->", 3))) goto broken;
            p = q + 3;
        } else if (e - p >= 2 && p[1] == '!') { /* the doctype */
            if (!(q = memchr(p, '>', (size_t)(e - p)))) goto broken;
            p = q + 1;
        } else if (e - p >= 2 && p[1] == '/') {
            if (!(q = memchr(p, '>', (size_t)(e - p)))) goto broken;
            open_element *top = depth ? &stack[depth - 1] : NULL;
            if (!top || q - p - 2 != top->len || memcmp(p + 2, s + top->name, (size_t)top->len) != 0) {
                if (!is_void(p + 2, q - p - 2)) goto broken;
                p = q + 1; /* a foreign element of a void name: never a container */
                continue;
            }
            containers -= top->kind == OPEN_CONTAINER;
            templates -= top->kind == OPEN_TEMPLATE;
            depth--;
            p = q + 1;
        } else {
            const unsigned char *name = ++p, *gt = memchr(p, '>', (size_t)(e - p)); /* no '>' in names or values */
            if (!gt) goto broken;
            while (p < gt && *p != ' ') p++;
            Py_ssize_t len = p - name;
            if (len == 0) goto broken; /* text's '<' is escaped */
            while (p < gt) { /* ' name="value"' */
                if (*p != ' ' || gt - p < 5 || !(q = memchr(p + 2, '=', (size_t)(gt - p - 2))) || gt - q < 3 || q[1] != '"' ||
                    !(q = memchr(q + 2, '"', (size_t)(gt - q - 2))))
                    goto broken;
                p = q + 1;
            }
            p = gt + 1;
            if (is_void(name, len)) continue;
            if (depth == room) {
                room = room ? 2 * room : 64;
                open_element *more = PyMem_Realloc(stack, (size_t)room * sizeof *stack);
                if (!more) {
                    PyMem_Free(stack);
                    PyErr_NoMemory();
                    return -2;
                }
                stack = more;
            }
            int kind = 0;
            if (templates == 0 && (name_is(name, len, "div") || name_is(name, len, "article") || name_is(name, len, "ul") || name_is(name, len, "ol"))) {
                kind = OPEN_CONTAINER;
                pairs += containers > floor ? containers - floor : 0;
                containers++;
            } else if (name_is(name, len, "template")) {
                kind = OPEN_TEMPLATE;
                templates++;
            }
            stack[depth++] = (open_element){name - s, len, kind};
            if (is_raw_text(name, len)) {
                char end[16] = "</"; /* the longest: "</plaintext>" */
                memcpy(end + 2, name, (size_t)len);
                end[len + 2] = '>';
                if (!(q = memmem(p, (size_t)(e - p), end, (size_t)len + 3))) goto broken;
                p = q; /* on its end tag */
            }
        }
    }
    if (depth) goto broken;
    PyMem_Free(stack);
    return pairs;
broken:
    PyMem_Free(stack);
    return -1;
}

static PyObject *serialized_pairs(PyObject *self, PyObject *args) {
    PyObject *markup;
    long long floor;
    if (!PyArg_ParseTuple(args, "UL", &markup, &floor)) return NULL;
    Py_ssize_t n;
    const char *utf8 = PyUnicode_AsUTF8AndSize(markup, &n);
    if (!utf8) { /* lone surrogates: not what a serializer writes */
        PyErr_Clear();
        return PyLong_FromLong(-1);
    }
    long long pairs = scan_serialization((const unsigned char *)utf8, n, floor);
    return pairs == -2 ? NULL : PyLong_FromLongLong(pairs);
}

static PyMethodDef methods[] = {
    {"inflate_members", inflate_members, METH_VARARGS, "Inflate the whole gzip members in data[at:]: (out, [(out_at, in_at)], used)."},
    {"warc_records", warc_records, METH_VARARGS, "The whole, plain WARC records in buf[pos:]: ([(start, headers, block)], pos)."},
    {"http_head", http_head, METH_VARARGS, "Status, header fields and body offset of a plain HTTP response head, or None."},
    {"control_bytes", control_bytes, METH_VARARGS, "Control bytes (not tab, newlines, form feed) among data's first limit bytes."},
    {"prose_lists", prose_lists, METH_VARARGS, "Spans (start, end) of the outermost <ul> lists whose items are mostly not links."},
    {"tag_census", tag_census, METH_O, "Container and ruby start tags, and lone CJK characters between tags: census.py."},
    {"join_lone", join_lone, METH_VARARGS, "html with a mark after each lone CJK character between tags: census.py."},
    {"serialized_pairs", serialized_pairs, METH_VARARGS, "Pairs of nested containers beyond a floor in a serialized tree, or -1 (deep_markup.py)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_archive", NULL, -1, methods};

/* The module, with `zlib_version`: the zlib it runs with (streams.py uses inflate_members only when
 * Python's zlib module is the same version, so both paths accept and reject the same members). */
PyMODINIT_FUNC PyInit__archive(void) {
    PyObject *m = PyModule_Create(&module);
    if (m && PyModule_AddStringConstant(m, "zlib_version", zlibVersion()) < 0) Py_CLEAR(m);
#ifdef HAVE_LIBDEFLATE
    if (m && PyModule_AddStringConstant(m, "libdeflate_version", LIBDEFLATE_VERSION_STRING) < 0) Py_CLEAR(m);
#else
    if (m && PyModule_AddObjectRef(m, "libdeflate_version", Py_None) < 0) Py_CLEAR(m);
#endif
    return m;
}
