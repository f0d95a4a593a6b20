/* Optional compiled kernels; the package works without them (numpy does the same work).
 *
 * - tf_counts: add_histogram's default (TensorFlow) buckets. tbx_widget/summary/histogram.py
 *   does it with numpy (a lookup on each value's top 16 bits, one comparison with the real edge,
 *   a bincount) in about six passes over the values; this does it in one.
 * - masked_crc32c_spans: the masked CRC32C of many records' data at once, for the reader
 *   (tbx_widget/reader/spans.py checks short records with per-position numpy tables otherwise).
 *
 * Both release the GIL. The build (hatch_build.py) skips this file where no C compiler is found.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The buffer's item type as one struct character ('d', 'f', ...), 0 when not in native byte order. */
static char item_char(const Py_buffer *b) {
    const char *f = b->format ? b->format : "B";
    const uint16_t one = 1;
    const int little = *(const char *)&one == 1;
    if (*f == '@' || *f == '=' || (*f == '<' && little) || ((*f == '>' || *f == '!') && !little)) f++;
    else if (*f == '<' || *f == '>' || *f == '!') return 0;
    return f[0] != 0 && f[1] == 0 ? f[0] : 0;
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
    PyObject *ox, *otable, *oupper, *ocounts;
    if (!PyArg_ParseTuple(args, "OOOO", &ox, &otable, &oupper, &ocounts)) return NULL;
    Py_buffer x, table, upper, counts;
    if (PyObject_GetBuffer(ox, &x, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(otable, &table, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&x);
        return NULL;
    }
    if (PyObject_GetBuffer(oupper, &upper, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&x);
        PyBuffer_Release(&table);
        return NULL;
    }
    if (PyObject_GetBuffer(ocounts, &counts, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&x);
        PyBuffer_Release(&table);
        PyBuffer_Release(&upper);
        return NULL;
    }
    PyObject *result = NULL;
    const int is64 = x.itemsize == 8 && item_char(&x) == 'd';
    const int is32 = x.itemsize == 4 && item_char(&x) == 'f';
    const Py_ssize_t n = x.len / (x.itemsize ? x.itemsize : 1);
    const Py_ssize_t k = upper.len / (Py_ssize_t)sizeof(double);
    if (!(is64 || is32) || n < 1) {
        PyErr_SetString(PyExc_TypeError, "x must be a non-empty float64 or float32 buffer");
    } else if (table.itemsize != 8 || table.len != 65536 * 8 || upper.itemsize != 8 || item_char(&upper) != 'd' ||
               counts.itemsize != 8 || counts.len != upper.len || k < 1) {
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
    PyBuffer_Release(&x);
    PyBuffer_Release(&table);
    PyBuffer_Release(&upper);
    PyBuffer_Release(&counts);
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
    PyObject *obuf, *ostarts, *olengths, *oout;
    if (!PyArg_ParseTuple(args, "OOOO", &obuf, &ostarts, &olengths, &oout)) return NULL;
    Py_buffer buf, starts, lengths, out;
    if (PyObject_GetBuffer(obuf, &buf, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (PyObject_GetBuffer(ostarts, &starts, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    if (PyObject_GetBuffer(olengths, &lengths, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&buf);
        PyBuffer_Release(&starts);
        return NULL;
    }
    if (PyObject_GetBuffer(oout, &out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&buf);
        PyBuffer_Release(&starts);
        PyBuffer_Release(&lengths);
        return NULL;
    }
    PyObject *result = NULL;
    const Py_ssize_t n = starts.len / 8;
    const char sc = item_char(&starts), lc = item_char(&lengths), oc = item_char(&out);
    if (starts.itemsize != 8 || lengths.itemsize != 8 || out.itemsize != 4 || lengths.len != starts.len ||
        out.len != n * 4 || !(sc == 'q' || sc == 'l') || !(lc == 'q' || lc == 'l') || !(oc == 'I' || oc == 'L')) {
        PyErr_SetString(PyExc_TypeError, "starts and lengths must be int64[n] and out uint32[n]");
    } else {
        const int64_t *st = (const int64_t *)starts.buf, *ln = (const int64_t *)lengths.buf;
        uint32_t *o = (uint32_t *)out.buf;
        const uint8_t *b = (const uint8_t *)buf.buf;
        const Py_ssize_t size = buf.len;
        const uint16_t one = 1;
        const int little = *(const char *)&one == 1;
        Py_ssize_t bad = -1;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) {
            if (st[i] < 0 || ln[i] < 0 || st[i] > size || ln[i] > size - st[i]) {
                bad = i;
                break;
            }
            const uint32_t c = crc32c(b + st[i], (Py_ssize_t)ln[i], little);
            o[i] = ((c >> 15) | (c << 17)) + 0xA282EAD8u;
        }
        Py_END_ALLOW_THREADS
        if (bad >= 0) PyErr_Format(PyExc_ValueError, "span %zd lies outside the buffer", bad);
        else {
            Py_INCREF(Py_None);
            result = Py_None;
        }
    }
    PyBuffer_Release(&buf);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&lengths);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"tf_counts", tf_counts, METH_VARARGS, "Count finite values into TensorFlow's default buckets; returns (min, max)."},
    {"masked_crc32c_spans", masked_crc32c_spans, METH_VARARGS, "Masked CRC32C of many spans of a buffer, into out."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "Optional compiled kernels.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) {
    crc_init();
    return PyModule_Create(&module);
}
