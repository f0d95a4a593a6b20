/* Optional compiled kernels; the package works without them (numpy does the same work).
 *
 * - tf_counts: add_histogram's default (TensorFlow) buckets. tbx_widget/summary/histogram.py
 *   does it with numpy (a lookup on each value's top 16 bits, one comparison with the real edge,
 *   a bincount) in about six passes over the values; this does it in one.
 * - masked_crc32c_spans: the masked CRC32C of many records' data at once, for the reader
 *   (tbx_widget/reader/spans.py checks short records with per-position numpy tables otherwise).
 *
 * - resync: after corruption, the first position holding a valid record header (the reader's
 *   records.resync does the same with numpy block by block otherwise).
 *
 * - scalar_events: decode the common scalar records (Event{wall_time, step, summary{value{tag,
 *   simple_value}}}) of many spans at once, for the reader (reader/fast_scalars.py does the same
 *   with numpy otherwise; records of any other layout are left for the protobuf path).
 *
 * All release the GIL. The build (hatch_build.py) skips this file where no C compiler is found.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static int host_little(void) {
    const uint16_t one = 1;
    return *(const char *)&one == 1;
}

/* The buffer's item type as one struct character ('d', 'f', ...), 0 when not in native byte order. */
static char item_char(const Py_buffer *b) {
    const char *f = b->format ? b->format : "B";
    const int little = host_little();
    if (*f == '@' || *f == '=' || (*f == '<' && little) || ((*f == '>' || *f == '!') && !little)) f++;
    else if (*f == '<' || *f == '>' || *f == '!') return 0;
    return f[0] != 0 && f[1] == 0 ? f[0] : 0;
}

/* Take the buffers of a call's n positional arguments (C-contiguous, with their formats; those
 * marked writable as writable). Returns 1, or 0 with an exception set and nothing held. */
static int parse_buffers(PyObject *args, const int *writable, int n, Py_buffer *out) {
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) != n) {
        PyErr_Format(PyExc_TypeError, "expected %d arguments", n);
        return 0;
    }
    for (int k = 0; k < n; k++) {
        const int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable[k] ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(args, k), &out[k], flags) < 0) {
            while (k-- > 0) PyBuffer_Release(&out[k]);
            return 0;
        }
    }
    return 1;
}

/* An int64 buffer (struct 'q', or 'l' where long is 64 bits). */
static int is_int64(const Py_buffer *b) {
    const char c = item_char(b);
    return b->itemsize == 8 && (c == 'q' || c == 'l');
}

/* Whether [start, start + len) lies inside a buffer of `size` bytes. */
static int span_inside(int64_t start, int64_t len, Py_ssize_t size) {
    return start >= 0 && len >= 0 && start <= size && len <= size - start;
}

static void release_buffers(Py_buffer *bufs, int n) {
    for (int k = 0; k < n; k++) PyBuffer_Release(&bufs[k]);
}

/* Bucket, count and track min/max of n values of type T. */
#define COUNT_LOOP(T)                                     \
    for (Py_ssize_t i = 0; i < n; i++) {                  \
        const double v = (double)((const T *)x.buf)[i];   \
        uint64_t bits;                                    \
        memcpy(&bits, &v, sizeof bits);                   \
        int64_t b = tab[bits >> 48];                      \
        if (b < 0 || b >= k) {                            \
            bad = 1;                                      \
            break;                                        \
        }                                                 \
        b += v >= up[b];                                  \
        cnt[b < k ? b : k - 1]++;                         \
        mn = v < mn ? v : mn;                             \
        mx = v > mx ? v : mx;                             \
    }

/* tf_counts(x, table, upper, counts) -> (min, max)
 *   x       float64 or float32 values, C-contiguous, all finite, at least one
 *   table   int64[65536]: bucket of the smallest value with each 16-bit prefix
 *   upper   float64[k]: right edge of each bucket (the last one +inf)
 *   counts  int64[k], added to
 */
static PyObject *tf_counts(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer bufs[4];
    static const int writable[4] = {0, 0, 0, 1};
    if (!parse_buffers(args, writable, 4, bufs)) return NULL;
    Py_buffer x = bufs[0], table = bufs[1], upper = bufs[2], counts = bufs[3];
    PyObject *result = NULL;
    const int is64 = x.itemsize == 8 && item_char(&x) == 'd';
    const int is32 = x.itemsize == 4 && item_char(&x) == 'f';
    const Py_ssize_t n = x.len / (x.itemsize ? x.itemsize : 1);
    const Py_ssize_t k = upper.len / (Py_ssize_t)sizeof(double);
    if (!(is64 || is32) || n < 1) {
        PyErr_SetString(PyExc_TypeError, "x must be a non-empty float64 or float32 buffer");
    } else if (!is_int64(&table) || table.len != 65536 * 8 || upper.itemsize != 8 || item_char(&upper) != 'd' ||
               !is_int64(&counts) || counts.len != upper.len || k < 1) {
        PyErr_SetString(PyExc_ValueError, "table must be int64[65536], upper float64[k], counts int64[k]");
    } else {
        const int64_t *tab = (const int64_t *)table.buf;
        const double *up = (const double *)upper.buf;
        int64_t *cnt = (int64_t *)counts.buf;
        double mn = 0, mx = 0;
        int bad = 0;
        Py_BEGIN_ALLOW_THREADS
        mn = is64 ? ((const double *)x.buf)[0] : (double)((const float *)x.buf)[0];
        mx = mn;
        if (is64) {
            COUNT_LOOP(double)
        } else {
            COUNT_LOOP(float)
        }
        Py_END_ALLOW_THREADS
        if (bad) PyErr_SetString(PyExc_ValueError, "table holds a bucket outside upper");
        else result = Py_BuildValue("(dd)", mn, mx);
    }
    release_buffers(bufs, 4);
    return result;
}

/* ---- CRC32C (Castagnoli), slicing by 8 ---------------------------------------------------- */

static uint32_t crc_tab[8][256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int k = 1; k < 8; k++) crc_tab[k][i] = (crc_tab[k - 1][i] >> 8) ^ crc_tab[0][crc_tab[k - 1][i] & 0xFF];
}

static uint32_t crc32c(const uint8_t *p, Py_ssize_t n, int little) {
    uint32_t c = 0xFFFFFFFFu;
    if (little) {
        while (n >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            w ^= c;
            c = crc_tab[7][w & 0xFF] ^ crc_tab[6][(w >> 8) & 0xFF] ^ crc_tab[5][(w >> 16) & 0xFF] ^
                crc_tab[4][(w >> 24) & 0xFF] ^ crc_tab[3][(w >> 32) & 0xFF] ^ crc_tab[2][(w >> 40) & 0xFF] ^
                crc_tab[1][(w >> 48) & 0xFF] ^ crc_tab[0][w >> 56];
            p += 8;
            n -= 8;
        }
    }
    while (n-- > 0) c = crc_tab[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* masked_crc32c_spans(buf, starts, lengths, out): out[i] = TFRecord-masked CRC32C of
 *   buf[starts[i] : starts[i] + lengths[i]]   (starts, lengths int64; out uint32[len(starts)]) */
static PyObject *masked_crc32c_spans(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer bufs[4];
    static const int writable[4] = {0, 0, 0, 1};
    if (!parse_buffers(args, writable, 4, bufs)) return NULL;
    Py_buffer buf = bufs[0], starts = bufs[1], lengths = bufs[2], out = bufs[3];
    PyObject *result = NULL;
    const Py_ssize_t n = starts.len / 8;
    const char oc = item_char(&out);
    if (!is_int64(&starts) || !is_int64(&lengths) || lengths.len != starts.len || out.itemsize != 4 ||
        out.len != n * 4 || !(oc == 'I' || oc == 'L')) {
        PyErr_SetString(PyExc_TypeError, "starts and lengths must be int64[n] and out uint32[n]");
    } else {
        const int64_t *st = (const int64_t *)starts.buf, *ln = (const int64_t *)lengths.buf;
        uint32_t *o = (uint32_t *)out.buf;
        const uint8_t *b = (const uint8_t *)buf.buf;
        const Py_ssize_t size = buf.len;
        const int little = host_little();
        Py_ssize_t bad = -1;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!span_inside(st[i], ln[i], size)) {
                bad = i;
                break;
            }
            const uint32_t c = crc32c(b + st[i], (Py_ssize_t)ln[i], little);
            o[i] = ((c >> 15) | (c << 17)) + 0xA282EAD8u;
        }
        Py_END_ALLOW_THREADS
        if (bad >= 0) PyErr_Format(PyExc_ValueError, "span %zd lies outside the buffer", bad);
        else result = Py_NewRef(Py_None);
    }
    release_buffers(bufs, 4);
    return result;
}

/* resync(buf, pos) -> int: the first position p >= pos where buf[p : p + 12] is a record header
 *   (u64 LE length < 2**31, then the masked CRC32C of those 8 bytes), or, when there is none,
 *   the first position where fewer than 12 bytes remain (max(pos, len(buf) - 11)). */
static PyObject *resync(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "y*n", &b, &pos)) return NULL;
    const uint8_t *buf = (const uint8_t *)b.buf;
    const Py_ssize_t last = b.len - 12;
    if (pos < 0) pos = 0;
    Py_ssize_t found = pos > last ? pos : last + 1;
    const int little = host_little();
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = pos; i <= last; i++) {
        const uint8_t *h = buf + i;
        if (h[7]) { /* byte 7 of a length is zero: jump to the next zero byte (memchr is fast) */
            const uint8_t *z = (const uint8_t *)memchr(h + 8, 0, (size_t)(last + 7 - (i + 8) + 1));
            i = z ? (Py_ssize_t)(z - buf) - 8 : last; /* the loop's i++: the window with z as byte 7 */
            continue;
        }
        if ((h[4] | h[5] | h[6]) || (h[3] & 0x80)) continue; /* length >= 2**31 */
        const uint32_t stored = (uint32_t)h[8] | ((uint32_t)h[9] << 8) | ((uint32_t)h[10] << 16) | ((uint32_t)h[11] << 24);
        if (!stored && !(h[0] | h[1] | h[2] | h[3])) {
            /* Twelve zero bytes are never a header (a zero length's CRC is not zero), nor is any
             * window inside the same run of zeros: jump to the first window reaching past it. */
            Py_ssize_t j = i + 12;
            while (j + 8 <= b.len) {
                uint64_t w;
                memcpy(&w, buf + j, 8);
                if (w) break;
                j += 8;
            }
            while (j < b.len && !buf[j]) j++;
            i = j - 12; /* the loop's i++ makes it j - 11, the first window holding buf[j] */
            continue;
        }
        const uint32_t c = crc32c(h, 8, little);
        if ((((c >> 15) | (c << 17)) + 0xA282EAD8u) == stored) {
            found = i;
            break;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b);
    return PyLong_FromSsize_t(found);
}

/* ---- scalar events ------------------------------------------------------------------------ */

#define TAG_SLOTS 4096 /* open addressing; at most TAG_SLOTS / 2 distinct tags per call */

typedef struct {
    Py_ssize_t start; /* offset of the tag's bytes in the buffer (first record with it) */
    Py_ssize_t len;
    uint64_t hash;
    int64_t id;
} TagSlot;

static uint64_t fnv1a(const uint8_t *p, Py_ssize_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* scalar_events(buf, starts, lengths, taken, step, wall, value, tag_id) -> [(start, len), ...]
 *   For each span (int64 starts/lengths into buf) in the simple scalar layout, set taken[i] = 1
 *   and fill step (int64), wall and value (float64) and tag_id (int64); other spans get taken 0.
 *   Returns the distinct tags' (start, len) in id order, or None when a call holds more distinct
 *   tags than the table takes (then nothing is reliable: use the numpy path). */
static PyObject *scalar_events(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b[8];
    static const int writable[8] = {0, 0, 0, 1, 1, 1, 1, 1};
    if (!parse_buffers(args, writable, 8, b)) return NULL;
    PyObject *result = NULL;
    TagSlot *slots = NULL;
    const Py_ssize_t n = b[1].len / 8;
    const int i64ok = is_int64(&b[1]) && is_int64(&b[2]) && is_int64(&b[4]) && is_int64(&b[7]);
    if (!i64ok || item_char(&b[3]) != '?' || item_char(&b[5]) != 'd' || item_char(&b[6]) != 'd' ||
        b[2].len != b[1].len || b[3].len != n || b[4].len != n * 8 || b[5].len != n * 8 || b[6].len != n * 8 ||
        b[7].len != n * 8) {
        PyErr_SetString(PyExc_TypeError,
                        "expected int64 starts, lengths; out: bool taken, int64 step, float64 wall, value, int64 tag_id");
    } else if ((slots = (TagSlot *)PyMem_Calloc(TAG_SLOTS, sizeof(TagSlot))) == NULL) {
        PyErr_NoMemory();
    } else {
        const uint8_t *buf = (const uint8_t *)b[0].buf;
        const Py_ssize_t size = b[0].len;
        const int64_t *st = (const int64_t *)b[1].buf, *ln = (const int64_t *)b[2].buf;
        char *taken = (char *)b[3].buf;
        int64_t *step = (int64_t *)b[4].buf, *tag_id = (int64_t *)b[7].buf;
        double *wall = (double *)b[5].buf, *value = (double *)b[6].buf;
        int64_t ntags = 0;
        int overflow = 0, outside = 0;
        const int little = host_little();
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n && !overflow; i++) {
            taken[i] = 0;
            const int64_t start = st[i], len = ln[i];
            if (!span_inside(start, len, size)) {
                outside = 1;
                break;
            }
            if (len < 16 || len > 200 || !little) continue;
            const uint8_t *r = buf + start;
            if (r[0] != 0x09) continue;
            Py_ssize_t o_ = 9, v = 0;
            uint64_t stp = 0;
            if (r[9] == 0x10) {
                for (v = 0; v < 10 && 10 + v < len; v++) {
                    stp |= ((uint64_t)(r[10 + v] & 0x7F)) << (7 * v);
                    if (r[10 + v] < 0x80) break;
                }
                if (v == 10 || 10 + v >= len) continue; /* no varint end */
                v += 1;
                o_ = 10 + v;
            } else if (r[9] != 0x2A) {
                continue;
            }
            const int64_t summary_len = len - o_ - 2, value_len = len - o_ - 4, tag_len = len - o_ - 11;
            if (tag_len < 0 || summary_len >= 0x80) continue;
            if (r[o_] != 0x2A || r[o_ + 1] != summary_len || r[o_ + 2] != 0x0A || r[o_ + 3] != value_len ||
                r[o_ + 4] != 0x0A || r[o_ + 5] != tag_len || r[len - 5] != 0x15)
                continue;
            const uint8_t *tag = r + o_ + 6;
            const uint64_t h = fnv1a(tag, tag_len);
            Py_ssize_t slot = (Py_ssize_t)(h & (TAG_SLOTS - 1));
            int64_t id = -1;
            for (;;) {
                TagSlot *s = &slots[slot];
                if (s->id == 0) { /* empty */
                    if (ntags >= TAG_SLOTS / 2) {
                        overflow = 1;
                        break;
                    }
                    s->start = (Py_ssize_t)(tag - buf);
                    s->len = tag_len;
                    s->hash = h;
                    s->id = ++ntags; /* stored +1 so an empty slot is all zeros */
                    id = ntags - 1;
                    break;
                }
                if (s->hash == h && s->len == tag_len && memcmp(buf + s->start, tag, (size_t)tag_len) == 0) {
                    id = s->id - 1;
                    break;
                }
                slot = (slot + 1) & (TAG_SLOTS - 1);
            }
            if (overflow) break;
            double w;
            float f;
            memcpy(&w, r + 1, 8);
            memcpy(&f, r + len - 4, 4);
            taken[i] = 1;
            step[i] = (int64_t)stp;
            wall[i] = w;
            value[i] = (double)f;
            tag_id[i] = id;
        }
        Py_END_ALLOW_THREADS
        if (outside) {
            PyErr_SetString(PyExc_ValueError, "a span lies outside the buffer");
        } else if (overflow) {
            result = Py_NewRef(Py_None);
        } else {
            result = PyList_New((Py_ssize_t)ntags);
            for (Py_ssize_t k = 0; result && k < TAG_SLOTS; k++) {
                if (slots[k].id == 0) continue;
                PyObject *pair = Py_BuildValue("(nn)", slots[k].start, slots[k].len);
                if (!pair) {
                    Py_CLEAR(result);
                    break;
                }
                PyList_SET_ITEM(result, (Py_ssize_t)(slots[k].id - 1), pair);
            }
        }
    }
    PyMem_Free(slots);
    release_buffers(b, 8);
    return result;
}

static PyMethodDef methods[] = {
    {"tf_counts", tf_counts, METH_VARARGS, "Count finite values into TensorFlow's default buckets; returns (min, max)."},
    {"masked_crc32c_spans", masked_crc32c_spans, METH_VARARGS, "Masked CRC32C of many spans of a buffer, into out."},
    {"scalar_events", scalar_events, METH_VARARGS, "Decode simple scalar event records in bulk."},
    {"resync", resync, METH_VARARGS, "First valid record header at or after pos (or where fewer than 12 bytes remain)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "Optional compiled kernels.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) {
    crc_init();
    return PyModule_Create(&module);
}
