/* Optional compiled kernel for add_histogram's default (TensorFlow) buckets.
 *
 * tbx_widget/summary/histogram.py computes the same thing with numpy (a lookup on each value's
 * top 16 bits, one comparison with the real edge, a bincount), in about six passes over the
 * values; this does it in one, without the GIL. The package works without it: the build skips it
 * where no C compiler is found, and histogram.py falls back to numpy.
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

static PyMethodDef methods[] = {
    {"tf_counts", tf_counts, METH_VARARGS, "Count finite values into TensorFlow's default buckets; returns (min, max)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", "Optional compiled kernels.", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
