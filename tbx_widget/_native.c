/* Optional compiled kernels; the package works without them (numpy does the same work).
 *
 * - tf_histogram: add_histogram's default (TensorFlow) buckets, with the min, max and sum.
 *   tbx_widget/summary/histogram.py does it with numpy (a lookup on each value's top 16 bits,
 *   one comparison with the real edge, a bincount; then min, max and sum) in about nine passes
 *   over the values; this does it in one, reading each value once.
 * - masked_crc32c_spans: the masked CRC32C of many records' data at once, for the reader
 *   (tbx_widget/reader/spans.py checks short records with per-position numpy tables otherwise).
 *
 * - frame_records: walk a buffer's records one after the other, checking both CRCs of each, up
 *   to the first that is not whole and sound (reader/spans.py frames by extrapolated length
 *   patterns and checks with numpy tables otherwise).
 *
 * CRC32C uses SSE4.2's crc32 instruction where the CPU has it, else tables (slicing by 8).
 *
 * - resync: after corruption, the first position holding a valid record header (the reader's
 *   records.resync does the same with numpy block by block otherwise).
 *
 * - scalar_events: decode the common scalar records (Event{wall_time, step, summary{value{tag,
 *   simple_value}}}) of many spans at once, for the reader (reader/fast_scalars.py does the same
 *   with numpy otherwise; records of any other layout are left for the protobuf path).
 *
 * - group_rows: the decoded records' indices grouped by tag, so each tag's points are one slice
 *   (reader/fast_scalars.py sorts with numpy otherwise).
 *
 * - minmax_picks: per bucket of consecutive values, the index of the first finite minimum and
 *   of the first finite maximum, plus the ends, sorted and without repeats: a scalar series'
 *   overview (tbx_widget/live/overview.py does the same with numpy otherwise).
 *
 * All release the GIL. The build (hatch_build.py) skips this file where no C compiler is found.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>

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

/* ---- histograms: TensorFlow's default buckets, min, max and numpy's sum in one pass ---------
 *
 * A value's bucket is looked up from its top 16 bits (sign, exponent, 4 mantissa bits): the
 * table holds, for each such prefix, the bucket of the smallest value having it; the edges are
 * further apart than a prefix cell is wide, so the value's bucket is that one or the next, which
 * one comparison with the real edge decides.
 *
 * The sum is numpy's, bit for bit: numpy adds a float64 array pairwise (halves split at a
 * multiple of 8 down to blocks of at most 128, each summed in 8 interleaved accumulators) and a
 * float32 array, cast to float64 in buffers of numpy's buffer size, buffer by buffer. The sum of
 * squares is added the same way (for float64: numpy's (x * x).sum()). histogram.py checks both
 * against numpy once before it relies on them. */

#define PW_BLOCK 128
#define PREFIXES 65536

/* Sums must round as numpy's do: no multiply-add fused into one rounding (GCC fuses across
 * statements where the CPU has FMA, clang within one expression). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

#if !defined(TBX_NO_SIMD) && (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2))
#include <emmintrin.h>
typedef __m128d v2;
#define V2_LOAD(p) _mm_loadu_pd(p)
#define V2_STORE(p, v) _mm_storeu_pd(p, v)
#define V2_ADD(a, b) _mm_add_pd(a, b)
#define V2_MUL(a, b) _mm_mul_pd(a, b)
#define V2_MIN(v, m) _mm_min_pd(v, m) /* per lane: v < m ? v : m */
#define V2_MAX(v, m) _mm_max_pd(v, m) /* per lane: v > m ? v : m */
/* Four floats at p as two pairs of doubles. */
#define V2_FLOATS(p, lo, hi)                          \
    do {                                              \
        const __m128 f_ = _mm_loadu_ps(p);            \
        lo = _mm_cvtps_pd(f_);                        \
        hi = _mm_cvtps_pd(_mm_movehl_ps(f_, f_));     \
    } while (0)
#else
typedef struct {
    double a, b;
} v2;
static inline v2 v2_make(double a, double b) {
    v2 r;
    r.a = a;
    r.b = b;
    return r;
}
#define V2_LOAD(p) v2_make((p)[0], (p)[1])
#define V2_STORE(p, v) ((p)[0] = (v).a, (p)[1] = (v).b)
#define V2_ADD(x, y) v2_make((x).a + (y).a, (x).b + (y).b)
#define V2_MUL(x, y) v2_make((x).a * (y).a, (x).b * (y).b)
#define V2_MIN(v, m) v2_make((v).a < (m).a ? (v).a : (m).a, (v).b < (m).b ? (v).b : (m).b)
#define V2_MAX(v, m) v2_make((v).a > (m).a ? (v).a : (m).a, (v).b > (m).b ? (v).b : (m).b)
#define V2_FLOATS(p, lo, hi) (lo = v2_make((p)[0], (p)[1]), hi = v2_make((p)[2], (p)[3]))
#endif

#define LOAD8_double(p, v) (v[0] = V2_LOAD(p), v[1] = V2_LOAD((p) + 2), v[2] = V2_LOAD((p) + 4), v[3] = V2_LOAD((p) + 6))
#define LOAD8_float(p, v) do { V2_FLOATS(p, v[0], v[1]); V2_FLOATS((p) + 4, v[2], v[3]); } while (0)

typedef struct {
    const uint16_t *tab; /* bucket of each 16-bit prefix, all < k */
    const double *up;    /* right edge of each bucket */
    int64_t *cnt;        /* k + 1 counts: +Inf lands in the last, folded into k - 1 at the end */
    Py_ssize_t k;
    double mn[8], mx[8]; /* per lane */
} Hist;

/* The prefix table for right edges up[0..k-1] (increasing; the last bucket is open). */
static void fill_table(uint16_t *tab, const double *up, Py_ssize_t k) {
    for (uint32_t p = 0; p < PREFIXES; p++) {
        uint64_t bits = (uint64_t)p << 48;
        if (p & 0x8000) bits |= ((uint64_t)1 << 48) - 1; /* negative: the largest magnitude is the smallest */
        double v;
        memcpy(&v, &bits, sizeof v);
        Py_ssize_t lo = 0, hi = k - 1; /* how many of up[0..k-2] are <= v */
        if (v == v) {
            while (lo < hi) {
                const Py_ssize_t mid = lo + (hi - lo) / 2;
                if (up[mid] <= v) lo = mid + 1;
                else hi = mid;
            }
        }
        tab[p] = (uint16_t)lo; /* NaN prefixes: 0 (any bucket would do: a NaN is never counted) */
    }
}

/* Count n values into their buckets. */
#define BUCKET_LOOP(T, a, n, h)                                 \
    do {                                                        \
        const uint16_t *tab_ = (h)->tab;                        \
        const double *up_ = (h)->up;                            \
        int64_t *cnt_ = (h)->cnt;                               \
        for (Py_ssize_t i_ = 0; i_ < (n); i_++) {               \
            const double v_ = (double)(a)[i_];                  \
            uint64_t bits_;                                     \
            memcpy(&bits_, &v_, sizeof bits_);                  \
            Py_ssize_t b_ = tab_[bits_ >> 48];                  \
            b_ += v_ >= up_[b_];                                \
            cnt_[b_]++;                                         \
        }                                                       \
    } while (0)

/* Sums of a[0..n) and of its squares in numpy's pairwise order (into *sum, *sq); buckets, min
 * and max on the way. Each group of 8 is bucketed right after its sums: the scalar bucket steps
 * and the vector sums then overlap (~10% faster than two loops over the block). */
#define DEFINE_PAIRWISE(NAME, T)                                                                   \
    static void NAME(Hist *h, const T *a, Py_ssize_t n, double *sum, double *sq) {                \
        if (n > PW_BLOCK) {                                                                       \
            Py_ssize_t n2 = n / 2;                                                                \
            double s1, q1, s2, q2;                                                                \
            n2 -= n2 % 8;                                                                         \
            NAME(h, a, n2, &s1, &q1);                                                             \
            NAME(h, a + n2, n - n2, &s2, &q2);                                                    \
            *sum = s1 + s2;                                                                       \
            *sq = q1 + q2;                                                                        \
            return;                                                                               \
        }                                                                                         \
        double res, res2;                                                                         \
        Py_ssize_t i;                                                                             \
        if (n < 8) {                                                                              \
            res = res2 = 0.;                                                                      \
            i = 0;                                                                                \
        } else {                                                                                  \
            v2 r[4], r2[4], mn[4], mx[4], v[4];                                                   \
            double s[8], q[8];                                                                    \
            LOAD8_##T(a, r);                                                                      \
            for (int j = 0; j < 4; j++) {                                                         \
                r2[j] = V2_MUL(r[j], r[j]);                                                       \
                mn[j] = V2_MIN(r[j], V2_LOAD(h->mn + 2 * j));                                     \
                mx[j] = V2_MAX(r[j], V2_LOAD(h->mx + 2 * j));                                     \
            }                                                                                     \
            for (i = 8; i < n - (n % 8); i += 8) {                                                \
                LOAD8_##T(a + i, v);                                                              \
                for (int j = 0; j < 4; j++) {                                                     \
                    r[j] = V2_ADD(r[j], v[j]);                                                    \
                    r2[j] = V2_ADD(r2[j], V2_MUL(v[j], v[j]));                                    \
                    mn[j] = V2_MIN(v[j], mn[j]);                                                  \
                    mx[j] = V2_MAX(v[j], mx[j]);                                                  \
                }                                                                                 \
                BUCKET_LOOP(T, a + i, 8, h);                                                      \
            }                                                                                     \
            for (int j = 0; j < 4; j++) {                                                         \
                V2_STORE(s + 2 * j, r[j]);                                                        \
                V2_STORE(q + 2 * j, r2[j]);                                                       \
                V2_STORE(h->mn + 2 * j, mn[j]);                                                   \
                V2_STORE(h->mx + 2 * j, mx[j]);                                                   \
            }                                                                                     \
            res = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));              \
            res2 = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));             \
        }                                                                                         \
        for (; i < n; i++) {                                                                      \
            const double w = (double)a[i];                                                        \
            const double w2 = w * w;                                                              \
            res += w;                                                                             \
            res2 += w2;                                                                           \
            h->mn[0] = w < h->mn[0] ? w : h->mn[0];                                               \
            h->mx[0] = w > h->mx[0] ? w : h->mx[0];                                               \
        }                                                                                         \
        if (n < 8) BUCKET_LOOP(T, a, n, h);                                                       \
        else { BUCKET_LOOP(T, a, 8, h); BUCKET_LOOP(T, a + (n - n % 8), n % 8, h); }               \
        *sum = res;                                                                               \
        *sq = res2;                                                                               \
    }
DEFINE_PAIRWISE(pairwise_double, double)
DEFINE_PAIRWISE(pairwise_float, float)

static uint16_t default_table[PREFIXES]; /* for the first right edges seen (the default ones) */
static double *default_up = NULL;         /* set once, with the GIL held; never changed after */
static Py_ssize_t default_k = 0;

/* tf_histogram(x, upper, counts, block) -> (min, max, sum, sum of squares)
 *   x       float64 or float32 values, C-contiguous, at least one
 *   upper   float64[k], 1 <= k < 65536: right edge of each bucket, increasing (the last: +inf)
 *   counts  int64[k], added to
 *   block   float32 only: values per block, each summed pairwise in float64 and the blocks in
 *           order (numpy's buffer size gives numpy's sum); < 1: one block
 * The sum is not finite when a value is NaN or infinite (or the sum overflows): the counts,
 * min and max then mean nothing and the caller leaves the NaN and Inf out first. */
static PyObject *tf_histogram(PyObject *self, PyObject *args) {
    (void)self;
    if (!PyTuple_Check(args) || PyTuple_GET_SIZE(args) != 4) {
        PyErr_SetString(PyExc_TypeError, "expected 4 arguments");
        return NULL;
    }
    const Py_ssize_t block = PyLong_AsSsize_t(PyTuple_GET_ITEM(args, 3));
    if (block == -1 && PyErr_Occurred()) return NULL;
    Py_buffer bufs[3];
    static const int writable[3] = {0, 0, 1};
    PyObject *head = PyTuple_GetSlice(args, 0, 3);
    if (!head) return NULL;
    const int ok = parse_buffers(head, writable, 3, bufs);
    Py_DECREF(head);
    if (!ok) return NULL;
    Py_buffer x = bufs[0], upper = bufs[1], counts = bufs[2];
    PyObject *result = NULL;
    uint16_t *own_table = NULL;
    Hist h;
    h.cnt = NULL;
    h.tab = NULL;
    const int is64 = x.itemsize == 8 && item_char(&x) == 'd';
    const int is32 = x.itemsize == 4 && item_char(&x) == 'f';
    const Py_ssize_t n = x.len / (x.itemsize ? x.itemsize : 1);
    const Py_ssize_t k = upper.len / (Py_ssize_t)sizeof(double);
    const double *up = (const double *)upper.buf;
    int increasing = 1;
    for (Py_ssize_t j = 1; j < k && increasing; j++) increasing = up[j - 1] < up[j];
    if (!(is64 || is32) || n < 1) {
        PyErr_SetString(PyExc_TypeError, "x must be a non-empty float64 or float32 buffer");
    } else if (upper.itemsize != 8 || item_char(&upper) != 'd' || k < 1 || k >= PREFIXES || !increasing ||
               !is_int64(&counts) || counts.len != upper.len) {
        PyErr_SetString(PyExc_ValueError, "upper must be increasing float64[k] (0 < k < 65536), counts int64[k]");
    } else if ((h.cnt = (int64_t *)PyMem_Calloc((size_t)k + 1, sizeof(int64_t))) == NULL) {
        PyErr_NoMemory();
    } else {
        if (default_up == NULL && (default_up = (double *)PyMem_RawMalloc((size_t)upper.len)) != NULL) {
            memcpy(default_up, up, (size_t)upper.len);
            fill_table(default_table, default_up, k);
            default_k = k;
        }
        if (default_up != NULL && default_k == k && memcmp(default_up, up, (size_t)upper.len) == 0) {
            h.tab = default_table;
        } else if ((own_table = (uint16_t *)PyMem_Malloc(PREFIXES * sizeof(uint16_t))) != NULL) {
            fill_table(own_table, up, k);
            h.tab = own_table;
        }
        if (h.tab == NULL) {
            PyErr_NoMemory();
        } else {
            h.up = up;
            h.k = k;
            const double first = is64 ? ((const double *)x.buf)[0] : (double)((const float *)x.buf)[0];
            for (int j = 0; j < 8; j++) h.mn[j] = h.mx[j] = first;
            double total = 0., squares = 0.;
            const Py_ssize_t step = is64 || block < 1 ? n : block;
            Py_BEGIN_ALLOW_THREADS
            for (Py_ssize_t s = 0; s < n; s += step) {
                const Py_ssize_t m = n - s < step ? n - s : step;
                double sum, sq;
                if (is64) pairwise_double(&h, (const double *)x.buf + s, m, &sum, &sq);
                else pairwise_float(&h, (const float *)x.buf + s, m, &sum, &sq);
                total += sum;
                squares += sq;
            }
            Py_END_ALLOW_THREADS
            int64_t *out = (int64_t *)counts.buf;
            for (Py_ssize_t b = 0; b < k; b++) out[b] += h.cnt[b];
            out[k - 1] += h.cnt[k];
            double mn = h.mn[0], mx = h.mx[0];
            for (int j = 1; j < 8; j++) {
                mn = h.mn[j] < mn ? h.mn[j] : mn;
                mx = h.mx[j] > mx ? h.mx[j] : mx;
            }
            result = Py_BuildValue("(dddd)", mn, mx, total, squares);
        }
    }
    PyMem_Free(own_table);
    PyMem_Free(h.cnt);
    release_buffers(bufs, 3);
    return result;
}

#if !defined(__clang__) && defined(__GNUC__)
#pragma GCC pop_options
#endif

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

#if defined(__GNUC__) && defined(__x86_64__) && !defined(TBX_NO_SIMD)
#define HAVE_HW_CRC 1
#include <nmmintrin.h>
static int hw_crc = 0; /* the CPU has SSE4.2's crc32 instruction (set once, in module init) */

/* CRC32C with the crc32 instruction (8 bytes per step): the same result as the tables. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(const uint8_t *p, Py_ssize_t n) {
    uint64_t c = 0xFFFFFFFFu;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
    return c32 ^ 0xFFFFFFFFu;
}
#endif

static uint32_t crc32c(const uint8_t *p, Py_ssize_t n, int little) {
#ifdef HAVE_HW_CRC
    if (hw_crc) return crc32c_hw(p, n);
#endif
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

/* The TFRecord mask of a CRC, as record headers and footers store it. */
static uint32_t masked(uint32_t c) {
    return ((c >> 15) | (c << 17)) + 0xA282EAD8u;
}

/* The little-endian uint32 at p (any alignment, any host). */
static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
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
            o[i] = masked(crc32c(b + st[i], (Py_ssize_t)ln[i], little));
        }
        Py_END_ALLOW_THREADS
        if (bad >= 0) PyErr_Format(PyExc_ValueError, "span %zd lies outside the buffer", bad);
        else result = Py_NewRef(Py_None);
    }
    release_buffers(bufs, 4);
    return result;
}

/* frame_records(buf, pos, starts, lengths) -> (count, stop, reason)
 *   Walk the records of buf from pos, one after the other, checking each header's CRC and each
 *   record's data CRC, until the first that is not whole and sound. starts/lengths (int64, at
 *   least (len(buf) - pos) // 16 + 1 long) receive the data spans of the sound records. stop is
 *   where the walk ended; reason 0: fewer than 12 bytes left there; 1: the record at stop runs
 *   past the buffer; 2: the record at stop fails a check (records.py's careful step decides
 *   what to skip). The same records as records.scan_records, up to stop. */
static PyObject *frame_records(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *bobj, *sobj, *lobj;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "OnOO", &bobj, &pos, &sobj, &lobj)) return NULL;
    Py_buffer b[3];
    static const int writable[3] = {0, 1, 1};
    PyObject *triple = PyTuple_Pack(3, bobj, sobj, lobj);
    if (!triple) return NULL;
    const int ok = parse_buffers(triple, writable, 3, b);
    Py_DECREF(triple);
    if (!ok) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t size = b[0].len;
    const Py_ssize_t room = b[1].len / 8;
    if (pos < 0 || pos > size) {
        PyErr_SetString(PyExc_ValueError, "pos lies outside the buffer");
    } else if (!is_int64(&b[1]) || !is_int64(&b[2]) || b[1].len != b[2].len || room < (size - pos) / 16 + 1) {
        PyErr_SetString(PyExc_TypeError, "starts and lengths must be int64[(len(buf) - pos) // 16 + 1] or longer");
    } else {
        const uint8_t *buf = (const uint8_t *)b[0].buf;
        int64_t *st = (int64_t *)b[1].buf, *ln = (int64_t *)b[2].buf;
        const int little = host_little();
        Py_ssize_t count = 0;
        int reason = 0;
        Py_BEGIN_ALLOW_THREADS
        while (size - pos >= 12) {
            const uint8_t *h = buf + pos;
            uint64_t len = 0;
            for (int k = 7; k >= 0; k--) len = (len << 8) | h[k];
            if (len > 0x7FFFFFFFu || masked(crc32c(h, 8, little)) != le32(h + 8)) {
                reason = 2;
                break;
            }
            if ((uint64_t)(size - pos - 12) < len + 4) {
                reason = 1;
                break;
            }
            if (masked(crc32c(h + 12, (Py_ssize_t)len, little)) != le32(h + 12 + len)) {
                reason = 2;
                break;
            }
            st[count] = (int64_t)(pos + 12);
            ln[count] = (int64_t)len;
            count++;
            pos += 16 + (Py_ssize_t)len;
        }
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("(nni)", count, pos, reason);
    }
    release_buffers(b, 3);
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
        const uint32_t stored = le32(h + 8);
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
        if (masked(crc32c(h, 8, little)) == stored) {
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

/* A hash of a tag's bytes, eight at a time (tags are short: one or two words). */
static uint64_t tag_hash(const uint8_t *p, Py_ssize_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, p, (size_t)n);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    return h ^ (h >> 29);
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
            const uint64_t h = tag_hash(tag, tag_len);
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

/* group_rows(tag_id, taken, perm, bounds) -> count
 *   The taken rows (tag_id int64[n] in [0, ntags), taken bool[n]) grouped by tag: perm[:count]
 *   holds their indices, tag 0's first, each tag's in increasing order (a counting sort), and
 *   bounds (int64[ntags + 1]) where each tag's start: tag t is perm[bounds[t]:bounds[t + 1]]. */
static PyObject *group_rows(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer b[4];
    static const int writable[4] = {0, 0, 1, 1};
    if (!parse_buffers(args, writable, 4, b)) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = b[0].len / 8, ntags = b[3].len / 8 - 1;
    if (!is_int64(&b[0]) || item_char(&b[1]) != '?' || !is_int64(&b[2]) || !is_int64(&b[3]) || b[1].len != n ||
        b[2].len != n * 8 || ntags < 0) {
        PyErr_SetString(PyExc_TypeError, "expected int64 tag_id[n], bool taken[n], int64 perm[n], int64 bounds[ntags + 1]");
    } else {
        const int64_t *tag = (const int64_t *)b[0].buf;
        const char *taken = (const char *)b[1].buf;
        int64_t *perm = (int64_t *)b[2].buf, *bounds = (int64_t *)b[3].buf;
        Py_ssize_t bad = -1, count = 0;
        Py_BEGIN_ALLOW_THREADS
        memset(bounds, 0, (size_t)(ntags + 1) * 8);
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!taken[i]) continue;
            if (tag[i] < 0 || tag[i] >= ntags) {
                bad = i;
                break;
            }
            bounds[tag[i] + 1]++;
        }
        if (bad < 0) {
            for (Py_ssize_t t = 0; t < ntags; t++) bounds[t + 1] += bounds[t];
            count = (Py_ssize_t)bounds[ntags];
            /* bounds[t] is used as tag t's next free place, then restored */
            for (Py_ssize_t i = 0; i < n; i++)
                if (taken[i]) perm[bounds[tag[i]]++] = (int64_t)i;
            for (Py_ssize_t t = ntags; t > 0; t--) bounds[t] = bounds[t - 1];
            bounds[0] = 0;
        }
        Py_END_ALLOW_THREADS
        if (bad >= 0) PyErr_Format(PyExc_ValueError, "tag_id[%zd] is outside [0, %zd)", bad, ntags);
        else result = PyLong_FromSsize_t(count);
    }
    release_buffers(b, 4);
    return result;
}

static int cmp_int64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* minmax_picks(value, k, out) -> count
 *   value float64[n] (n >= 1), k >= 1 values per bucket, out int64[2 * ceil(n / k) + 2]: out[:count]
 *   = the sorted distinct indices 0, n - 1 and per bucket value[b*k : b*k + k] the first index
 *   of its smallest and of its largest finite value (the bucket's first index when none is finite). */
static PyObject *minmax_picks(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *vobj, *oobj;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "OnO", &vobj, &k, &oobj)) return NULL;
    Py_buffer b[2];
    static const int writable[2] = {0, 1};
    PyObject *pair = PyTuple_Pack(2, vobj, oobj);
    if (!pair) return NULL;
    const int ok = parse_buffers(pair, writable, 2, b);
    Py_DECREF(pair);
    if (!ok) return NULL;
    PyObject *result = NULL;
    const Py_ssize_t n = b[0].len / 8;
    const Py_ssize_t nb = k >= 1 ? (n + k - 1) / k : 0;
    if (item_char(&b[0]) != 'd' || !is_int64(&b[1]) || n < 1 || k < 1 || b[1].len != (2 * nb + 2) * 8) {
        PyErr_SetString(PyExc_TypeError, "expected float64 value[n >= 1], k >= 1, int64 out[2 * ceil(n / k) + 2]");
    } else {
        const double *v = (const double *)b[0].buf;
        int64_t *o = (int64_t *)b[1].buf;
        Py_ssize_t m = 0;
        Py_BEGIN_ALLOW_THREADS
        o[m++] = 0;
        o[m++] = (int64_t)(n - 1);
        for (Py_ssize_t start = 0; start < n; start += k) {
            const Py_ssize_t stop = start + k < n ? start + k : n;
            Py_ssize_t lo_i = start, hi_i = start;
            double lo = INFINITY, hi = -INFINITY;
            for (Py_ssize_t i = start; i < stop; i++) {
                const double x = v[i];
                if (!isfinite(x)) continue;
                if (x < lo) {
                    lo = x;
                    lo_i = i;
                }
                if (x > hi) {
                    hi = x;
                    hi_i = i;
                }
            }
            o[m++] = (int64_t)lo_i;
            o[m++] = (int64_t)hi_i;
        }
        qsort(o, (size_t)m, sizeof(int64_t), cmp_int64);
        Py_ssize_t d = 0;
        for (Py_ssize_t i = 0; i < m; i++)
            if (i == 0 || o[i] != o[d - 1]) o[d++] = o[i];
        m = d;
        Py_END_ALLOW_THREADS
        result = PyLong_FromSsize_t(m);
    }
    release_buffers(b, 2);
    return result;
}

static PyMethodDef methods[] = {
    {"tf_histogram", tf_histogram, METH_VARARGS, "Default-bucket counts of values; returns (min, max, sum, sum of squares)."},
    {"masked_crc32c_spans", masked_crc32c_spans, METH_VARARGS, "Masked CRC32C of many spans of a buffer, into out."},
    {"scalar_events", scalar_events, METH_VARARGS, "Decode simple scalar event records in bulk."},
    {"group_rows", group_rows, METH_VARARGS, "The taken rows' indices grouped by tag id (a counting sort); returns their count."},
    {"minmax_picks", minmax_picks, METH_VARARGS, "Sorted distinct indices of each bucket's finite min and max, and the ends; returns their count."},
    {"frame_records", frame_records, METH_VARARGS, "Sound records from pos, each checked, until the first that is not; returns (count, stop, reason)."},
    {"resync", resync, METH_VARARGS, "First valid record header at or after pos (or where fewer than 12 bytes remain)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "Optional compiled kernels.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) {
    crc_init();
#ifdef HAVE_HW_CRC
    __builtin_cpu_init();
    hw_crc = __builtin_cpu_supports("sse4.2");
#endif
    return PyModule_Create(&module);
}
