# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Typed bridge to the native tokenizers (csrc/fastpool/tokenizer).

``NativeBase`` holds any built family (a ``TextTokenizer`` in C++) and runs the
batch drivers on it; each family's subclass only builds its tokenizer.

Trusts its caller (fastpool.tokenizer.native checks support, dtypes, shapes and id
ranges). Texts are read in place: a str's UTF-8 form comes from
PyUnicode_AsUTF8AndSize (no copy for ASCII; cached on the str otherwise), a
bytes object's buffer is used as is. The GIL is released for all the work.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE, PyBytes_Check
from cpython.unicode cimport PyUnicode_Check
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t
from libc.string cimport memcpy
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.vector cimport vector

cimport numpy as cnp
import numpy as np

cnp.import_array()


cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object s, Py_ssize_t* size) except NULL


from fastpool._kernel cimport PoolArgs, bfloat16_t, half_t, table_args


cdef extern from "fastpool/tokenizer/text_tokenizer.h" namespace "fastpool::tokenizer" nogil:
    cdef cppclass Limits:
        int64_t max_chars
        int64_t max_tokens
        cbool drop_unk

    cdef cppclass Footprint:
        size_t scratches
        size_t words
        size_t bytes

    cdef cppclass TextTokenizer:
        void clear_cache() const
        void set_cache_words(size_t words) const
        size_t cache_words() const
        Footprint cache_info() const
        void hold_pool_lock(int ms) const


cdef extern from "fastpool/tokenizer/tokenizer.h" namespace "fastpool::tokenizer" nogil:
    cdef cppclass BertConfig:
        cbool clean_text
        cbool handle_chinese_chars
        cbool strip_accents
        cbool lowercase
        int64_t max_input_chars_per_word
        int32_t unk_id

    cdef cppclass StringTable:
        const char* data
        const int64_t* offsets
        const int32_t* ids
        int64_t n
        const uint8_t* flags

    cdef cppclass WordPieceScratch:
        pass

    cdef cppclass BertTokenizer(TextTokenizer):
        cbool build(const BertConfig& config, const StringTable& vocab, const char* prefix,
                    size_t prefix_len, const StringTable& added) noexcept
        void pretokenize(const char* text, size_t n, WordPieceScratch& scratch,
                         vector[string]& words) except +


cdef extern from "fastpool/tokenizer/unicode_tables.h" namespace "fastpool::tokenizer::ucd" nogil:
    const char* kTokenizersVersion


def tables_tokenizers_version():
    """The `tokenizers` version the native character tables were measured from."""
    return kTokenizersVersion.decode()


cdef extern from "fastpool/tokenizer/batch.h" namespace "fastpool::tokenizer" nogil:
    cdef cppclass IdsAllocator:
        int32_t* (*alloc)(void* ctx, int64_t n) noexcept
        void* ctx

    cdef cppclass TextBatch:
        const char* const* data
        const int64_t* sizes
        int64_t n_texts

    cbool tokenize_batch(const TextTokenizer& tok, const TextBatch& texts, const Limits& limits,
                         int n_threads, const IdsAllocator& ids, int64_t* offsets) noexcept
    cbool encode_batch[T](const TextTokenizer& tok, const TextBatch& texts, const Limits& limits,
                          const PoolArgs& pool_args, const T* table, float* out) noexcept


cdef int32_t* _alloc_ids(void* ctx, int64_t n) noexcept with gil:
    """IdsAllocator callback: a fresh int32 array of n ids, kept in the list ctx."""
    try:
        arr = np.empty(n, dtype=np.int32)
    except MemoryError:
        return NULL
    (<list>ctx).append(arr)
    return <int32_t*>cnp.PyArray_DATA(arr)


cdef class _Batch:
    """Row pointers and byte sizes of a batch of UTF-8 texts; subclasses keep
    the memory they point into alive."""
    cdef vector[const char*] data
    cdef vector[int64_t] sizes

    cdef TextBatch batch(self):
        cdef TextBatch b
        b.data = self.data.data()
        b.sizes = self.sizes.data()
        b.n_texts = <int64_t>self.data.size()
        return b


cdef class _Texts(_Batch):
    """Pointers to the UTF-8 bytes of a tuple of str/bytes, kept alive by it."""
    cdef tuple items

    def __cinit__(self, tuple items):
        self.items = items
        cdef Py_ssize_t n = len(items), k, size
        cdef object item
        self.data.resize(n)
        self.sizes.resize(n)
        for k in range(n):
            item = items[k]
            if PyUnicode_Check(item):
                # UnicodeEncodeError on lone surrogates (tokenizers rejects them too).
                self.data[k] = PyUnicode_AsUTF8AndSize(item, &size)
            elif PyBytes_Check(item):
                self.data[k] = PyBytes_AS_STRING(item)
                size = PyBytes_GET_SIZE(item)
            else:
                raise TypeError(
                    f"texts must be str (or UTF-8 bytes), got {type(item).__name__} at index {k}"
                )
            self.sizes[k] = size


cdef const char* _EMPTY = b""


cdef inline int64_t _read_offset(const unsigned char* offsets, int64_t i,
                                 bint large) noexcept nogil:
    # memcpy: a buffer from pyarrow.py_buffer or a slice need not be aligned.
    cdef int32_t o32
    cdef int64_t o64
    if large:
        memcpy(&o64, offsets + i * 8, 8)
        return o64
    memcpy(&o32, offsets + i * 4, 4)
    return o32


cdef int64_t _arrow_rows(const char* base, int64_t n_data, const unsigned char* offsets,
                         bint large, const unsigned char* validity, int64_t offset,
                         int64_t length, const char** data, int64_t* sizes) noexcept nogil:
    """Row pointers of an Arrow string array; the first null or ill-placed row, or -1.

    Each offset is read exactly once and every row is checked against the
    value read, so a buffer rewritten meanwhile can change the text but never
    make a row reach outside [base, base + n_data)."""
    cdef int64_t k, at, end
    cdef int64_t start = _read_offset(offsets, offset, large)
    if start < 0 or start > n_data:
        return 0
    for k in range(length):
        at = offset + k
        end = _read_offset(offsets, at + 1, large)
        if end < start or end > n_data:
            return k
        if validity != NULL and not ((validity[at >> 3] >> (at & 7)) & 1):
            return k
        data[k] = base + start
        sizes[k] = end - start
        start = end
    return -1


cdef class ArrowTexts(_Batch):
    """Rows of Arrow string / large_string arrays read in place from their buffers.

    ``add_chunk`` appends one array's rows (no Python object per row) and keeps
    its buffers alive. It trusts the caller (fastpool.tokenizer.arrow) for the buffer
    sizes: the offsets buffer holds ``offset + length + 1`` entries and the
    validity bitmap (or None) ``offset + length`` bits. It checks the offsets
    themselves and the validity bits.
    """
    cdef list buffers

    def __cinit__(self):
        self.buffers = []

    def __len__(self):
        return <Py_ssize_t>self.data.size()

    def add_chunk(self, const unsigned char[::1] data, const unsigned char[::1] offsets,
                  const unsigned char[::1] validity, int64_t offset, int64_t length, bint large):
        """Append rows ``offset .. offset + length`` of one array. Returns -1, or
        the index (within this chunk) of the first row that is null or whose
        offsets decrease or leave the data buffer; nothing is appended then."""
        cdef size_t n0 = self.data.size()
        cdef int64_t n_data = data.shape[0], bad
        # An empty data buffer may have no address; rows of it are all empty.
        cdef const char* base = _EMPTY
        if n_data:
            base = <const char*>&data[0]
        cdef const unsigned char* valid = NULL
        if validity is not None:
            valid = &validity[0]
        cdef const unsigned char* offs = &offsets[0]
        self.data.resize(n0 + length)
        self.sizes.resize(n0 + length)
        with nogil:
            bad = _arrow_rows(base, n_data, offs, large, valid, offset, length,
                              self.data.data() + n0, self.sizes.data() + n0)
        if bad >= 0:
            self.data.resize(n0)
            self.sizes.resize(n0)
            return bad
        self.buffers.append((data, offsets, validity))
        return -1


cdef _Batch _as_batch(object texts):
    if isinstance(texts, _Batch):
        return <_Batch>texts
    return _Texts(texts)


cdef class NativeBase:
    """A built native tokenizer of any family: tokenize to CSR, or tokenize and pool.

    Subclasses build ``self.tok`` in ``__cinit__`` (it stays NULL if building
    fails, and every method then refuses to run); it is deleted with the object.
    Construct through fastpool.tokenizer.native.NativeTokenizer."""
    cdef TextTokenizer* tok

    def __dealloc__(self):
        del self.tok

    cdef TextTokenizer* _built(self) except NULL:
        if self.tok == NULL:
            raise RuntimeError("the native tokenizer was not built")
        return self.tok

    def clear_cache(self):
        """Free the working memory and word caches kept between calls."""
        cdef const TextTokenizer* tok = self._built()
        with nogil:
            tok.clear_cache()

    def set_cache_words(self, size_t words):
        """Word-cache capacity per thread from now on (0: none); clears the cache."""
        cdef const TextTokenizer* tok = self._built()
        with nogil:
            tok.set_cache_words(words)

    def cache_words(self):
        return self._built().cache_words()

    def cache_info(self):
        """(scratches, words, bytes) kept between calls now."""
        cdef const TextTokenizer* tok = self._built()
        cdef Footprint f
        with nogil:
            f = tok.cache_info()
        return f.scratches, f.words, f.bytes

    def _hold_pool_lock(self, int ms):
        """Test hook: hold the scratch pool's lock for ms milliseconds, GIL released."""
        cdef const TextTokenizer* tok = self._built()
        with nogil:
            tok.hold_pool_lock(ms)

    def tokenize_csr(self, object texts, int64_t max_chars, int64_t max_tokens, bint drop_unk,
                     int n_threads):
        """(ids int32, offsets int64) for texts: a tuple of str or bytes, or ArrowTexts."""
        cdef const TextTokenizer* tok = self._built()
        cdef _Batch t = _as_batch(texts)
        cdef TextBatch b = t.batch()
        cdef Limits limits
        limits.max_chars = max_chars
        limits.max_tokens = max_tokens
        limits.drop_unk = drop_unk
        cdef cnp.ndarray offsets = np.empty(b.n_texts + 1, dtype=np.int64)
        cdef int64_t* off = <int64_t*>cnp.PyArray_DATA(offsets)
        cdef list holder = []
        cdef IdsAllocator ids
        ids.alloc = _alloc_ids
        ids.ctx = <void*>holder
        cdef cbool ok
        with nogil:
            ok = tokenize_batch(tok[0], b, limits, n_threads, ids, off)
        if not ok or len(holder) != 1:
            raise MemoryError("out of memory while tokenizing")
        return holder[0], offsets

    def encode(
        self,
        object texts,
        cnp.ndarray table,
        cnp.ndarray out,
        object weights,
        object mapping,
        int64_t max_chars,
        int64_t max_tokens,
        bint mean,
        bint normalize,
        int n_threads,
        object scale=None,
    ):
        """Tokenize (dropping the unknown id) and pool into out. texts: a tuple
        of str or bytes, or ArrowTexts. Every argument must be validated: table
        2-D with unit column stride and rows for every id (after mapping); out
        float32 C-contiguous (len(texts), dim); weights float32 / mapping int32
        contiguous or None; scale (int8 tables only) float32 contiguous with 1
        or one-per-row values, or None."""
        cdef const TextTokenizer* tok = self._built()
        cdef _Batch t = _as_batch(texts)
        cdef TextBatch b = t.batch()
        cdef Limits limits
        limits.max_chars = max_chars
        limits.max_tokens = max_tokens
        limits.drop_unk = True
        # The CSR fields are filled per chunk by encode_batch, on each thread.
        cdef PoolArgs args = table_args(table, weights, mapping, scale, mean, normalize,
                                        n_threads)

        cdef const void* tp = cnp.PyArray_DATA(table)
        cdef float* o = <float*>cnp.PyArray_DATA(out)
        cdef int type_num = cnp.PyArray_TYPE(table)
        cdef cbool ok
        # The one place a table dtype picks its kernel.
        if type_num == cnp.NPY_FLOAT32:
            with nogil:
                ok = encode_batch[float](tok[0], b, limits, args, <const float*>tp, o)
        elif type_num == cnp.NPY_FLOAT16:
            with nogil:
                ok = encode_batch[half_t](
                    tok[0], b, limits, args, <const half_t*>tp, o)
        elif type_num == cnp.NPY_FLOAT64:
            with nogil:
                ok = encode_batch[double](
                    tok[0], b, limits, args, <const double*>tp, o)
        elif type_num == cnp.NPY_INT8:
            with nogil:
                ok = encode_batch[int8_t](
                    tok[0], b, limits, args, <const int8_t*>tp, o)
        elif table.dtype.name == "bfloat16" and cnp.PyArray_ITEMSIZE(table) == 2:
            with nogil:
                ok = encode_batch[bfloat16_t](
                    tok[0], b, limits, args, <const bfloat16_t*>tp, o)
        else:
            raise TypeError(
                "table dtype must be float32, float16, bfloat16, float64 or int8, "
                f"got {table.dtype}"
            )
        if not ok:
            raise MemoryError("out of memory while encoding")


cdef StringTable _string_table(bytes data, cnp.ndarray offsets, cnp.ndarray ids,
                               cnp.ndarray flags=None):
    """A view of (blob, offsets, ids[, per-string flags]): the arrays must outlive it."""
    cdef StringTable t
    t.data = PyBytes_AS_STRING(data)
    t.offsets = <const int64_t*>cnp.PyArray_DATA(offsets)
    t.ids = <const int32_t*>cnp.PyArray_DATA(ids)
    t.n = cnp.PyArray_DIM(ids, 0)
    if flags is not None:
        if flags.dtype != np.uint8 or flags.ndim != 1 or flags.shape[0] != t.n:
            raise ValueError("added_flags must be uint8, one per added token")
        if not flags.flags.c_contiguous:
            raise ValueError("added_flags must be contiguous")
        t.flags = <const uint8_t*>cnp.PyArray_DATA(flags)
    return t


cdef class WordPieceTokenizer(NativeBase):
    """The native BERT WordPiece tokenizer (BertNormalizer + BertPreTokenizer + WordPiece)."""
    cdef BertTokenizer* wp

    def __cinit__(
        self,
        bytes vocab_data,
        cnp.ndarray vocab_offsets,
        cnp.ndarray vocab_ids,
        bytes added_data,
        cnp.ndarray added_offsets,
        cnp.ndarray added_ids,
        bytes prefix,
        bint clean_text,
        bint handle_chinese_chars,
        bint strip_accents,
        bint lowercase,
        int64_t max_input_chars_per_word,
        int32_t unk_id,
        cnp.ndarray added_flags=None,
    ):
        """vocab_*/added_*: strings as one bytes blob with int64 offsets (n+1)
        and int32 ids (n), all contiguous; added_flags: uint8 per added token,
        1 lstrip | 2 rstrip (None: all 0)."""
        cdef BertConfig config
        config.clean_text = clean_text
        config.handle_chinese_chars = handle_chinese_chars
        config.strip_accents = strip_accents
        config.lowercase = lowercase
        config.max_input_chars_per_word = max_input_chars_per_word
        config.unk_id = unk_id
        cdef StringTable vocab = _string_table(vocab_data, vocab_offsets, vocab_ids)
        cdef StringTable added = _string_table(added_data, added_offsets, added_ids, added_flags)
        cdef const char* p = PyBytes_AS_STRING(prefix)
        cdef size_t plen = PyBytes_GET_SIZE(prefix)
        cdef cbool ok
        self.wp = new BertTokenizer()
        with nogil:
            ok = self.wp.build(config, vocab, p, plen, added)
        if not ok:
            del self.wp
            self.wp = NULL
            raise MemoryError("out of memory while building the native tokenizer")
        self.tok = self.wp

    def pretokenize(self, tuple texts):
        """Test hook: the words handed to WordPiece, per text (list of lists of
        str; ill-formed bytes show as U+FFFD). Slow: one Python object per word."""
        cdef _Texts t = _Texts(texts)
        cdef WordPieceScratch scratch
        cdef vector[string] words
        cdef Py_ssize_t k
        result = []
        for k in range(<Py_ssize_t>t.data.size()):
            words.clear()
            self.wp.pretokenize(t.data[k], t.sizes[k], scratch, words)
            result.append([w.decode("utf-8", "replace") for w in words])
        return result


cdef extern from "fastpool/tokenizer/unigram.h" namespace "fastpool::tokenizer" nogil:
    cdef cppclass NormStep:
        int kind
        string a
        string b
        cbool left
        cbool right
        int charsmap

    cdef cppclass PreStep:
        int kind
        int behavior

    cdef cppclass UnigramConfig:
        int32_t unk_id
        cbool byte_fallback
        int pre
        string replacement
        int prepend_scheme
        cbool split
        vector[PreStep] pre_steps

    cdef cppclass UnigramScratch:
        pass

    cdef cppclass UnigramNative "fastpool::tokenizer::UnigramTokenizer"(TextTokenizer):
        cbool build(const UnigramConfig& config, const char* pieces, size_t pieces_size,
                    const int64_t* offsets, const double* scores, int64_t n,
                    const char* added, const int64_t* added_offsets, const int32_t* added_ids,
                    const uint8_t* added_flags, int64_t n_added, const vector[NormStep]& steps,
                    const vector[string]& charsmaps) noexcept
        string normalize(const string& text, UnigramScratch& scratch) except +
        void pretokenize(const char* text, size_t n, UnigramScratch& scratch,
                         vector[string]& words) except +


cdef class UnigramTokenizer(NativeBase):
    """The native Unigram tokenizer (normalizer steps + Metaspace or none + Unigram)."""
    cdef UnigramNative* ug

    def __cinit__(
        self,
        bytes pieces,
        const int64_t[::1] offsets,
        const double[::1] scores,
        int32_t unk_id,
        bint byte_fallback,
        bytes added_data,
        const int64_t[::1] added_offsets,
        const int32_t[::1] added_ids,
        const uint8_t[::1] added_flags,
        list steps,
        list charsmaps,
        int pre,
        bytes replacement,
        int prepend_scheme,
        bint split,
        list pre_steps=None,
    ):
        """pieces: the vocabulary as one UTF-8 blob, piece k at bytes
        offsets[k]..offsets[k+1]; scores float64 by id. added_*: strings
        as one blob, int64 byte offsets (n+1), int32 ids, uint8 flags (1 lstrip, 2
        rstrip). steps: (kind, a, b, left,
        right, charsmap index) tuples; charsmaps: raw precompiled charsmap blobs.
        pre_steps (pre 2): the pre-tokenizer Sequence as (kind, behavior) tuples."""
        cdef UnigramConfig config
        config.unk_id = unk_id
        config.byte_fallback = byte_fallback
        config.pre = pre
        config.replacement = replacement
        config.prepend_scheme = prepend_scheme
        config.split = split
        cdef PreStep pst
        for kind, behavior in pre_steps or ():
            pst.kind = kind
            pst.behavior = behavior
            config.pre_steps.push_back(pst)
        cdef vector[NormStep] csteps
        cdef NormStep st
        for kind, a, b, left, right, cm in steps:
            st.kind = kind
            st.a = a
            st.b = b
            st.left = left
            st.right = right
            st.charsmap = cm
            csteps.push_back(st)
        cdef vector[string] cmaps
        for blob in charsmaps:
            cmaps.push_back(<bytes>blob)
        cdef int64_t n = scores.shape[0], n_added = added_ids.shape[0]
        cdef const char* p = PyBytes_AS_STRING(pieces)
        cdef size_t psize = PyBytes_GET_SIZE(pieces)
        cdef const char* ad = PyBytes_AS_STRING(added_data)
        cdef const int32_t* aid = NULL
        cdef const uint8_t* aflags = NULL
        if n_added:
            aid = &added_ids[0]
            aflags = &added_flags[0]
        cdef cbool ok
        self.ug = new UnigramNative()
        with nogil:
            ok = self.ug.build(config, p, psize, &offsets[0], &scores[0], n, ad,
                               &added_offsets[0], aid, aflags, n_added, csteps, cmaps)
        if not ok:
            del self.ug
            self.ug = NULL
            raise ValueError("the Unigram vocabulary or charsmap could not be built natively")
        self.tok = self.ug

    def normalize(self, tuple texts):
        """Test hook: each text (no added tokens) after the normalizer steps, as str."""
        cdef _Texts t = _Texts(texts)
        cdef UnigramScratch* scratch = new UnigramScratch()
        cdef Py_ssize_t k
        result = []
        try:
            for k in range(<Py_ssize_t>t.data.size()):
                result.append(
                    self.ug.normalize(string(t.data[k], t.sizes[k]), scratch[0]).decode(
                        "utf-8", "replace"))
        finally:
            del scratch
        return result

    def pretokenize(self, tuple texts):
        """Test hook: the pieces handed to the Unigram model, per text (no added tokens)."""
        cdef _Texts t = _Texts(texts)
        cdef UnigramScratch* scratch = new UnigramScratch()
        cdef vector[string] words
        cdef Py_ssize_t k
        result = []
        try:
            for k in range(<Py_ssize_t>t.data.size()):
                words.clear()
                self.ug.pretokenize(t.data[k], t.sizes[k], scratch[0], words)
                result.append([w.decode("utf-8", "replace") for w in words])
        finally:
            del scratch
        return result


from cpython.bool cimport PyBool_Check
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_Check
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_AsDouble, PyLong_Check
from libc.math cimport isfinite


cdef extern from "fastpool/tokenizers_number.h" namespace "fastpool" nogil:
    double tokenizers_number(const char* begin, const char* end)
    double tokenizers_number(double x)


def unigram_vocab(list vocab, object wanted):
    """One pass over a tokenizer.json Unigram vocab ([[piece, score], ...]).

    Returns (blob bytes, offsets int64 (n + 1, bytes), scores float64 (n), last ids
    {piece: id} of the pieces in the set wanted), or a str saying what is wrong. The
    scores are those tokenizers reads once the vocab is written as JSON (json.dumps'
    shortest digits; tokenizers_number.h), which Viterbi's near-ties depend on."""
    cdef Py_ssize_t n = PyList_GET_SIZE(vocab), k, size
    cdef cnp.ndarray offsets = np.empty(n + 1, dtype=np.int64)
    cdef cnp.ndarray scores = np.empty(n, dtype=np.float64)
    cdef int64_t* off = <int64_t*>cnp.PyArray_DATA(offsets)
    cdef double* sc = <double*>cnp.PyArray_DATA(scores)
    cdef string blob
    cdef object entry, piece, score
    cdef bytes digits
    cdef const char* utf8
    cdef double value
    cdef dict found = {}
    cdef bint look = bool(wanted)
    off[0] = 0
    for k in range(n):
        entry = <object>PyList_GET_ITEM(vocab, k)
        if type(entry) is not list or PyList_GET_SIZE(entry) != 2:
            return "Unigram vocab entries must be [piece, score] pairs"
        piece = <object>PyList_GET_ITEM(entry, 0)
        score = <object>PyList_GET_ITEM(entry, 1)
        if not PyUnicode_Check(piece):
            return "Unigram vocab pieces must be strings"
        if PyFloat_Check(score):
            value = PyFloat_AS_DOUBLE(score)
            if isfinite(value):
                value = tokenizers_number(value)
        elif PyLong_Check(score) and not PyBool_Check(score):
            try:
                PyLong_AsDouble(score)
            except OverflowError:
                return "Unigram vocab scores must be finite"
            digits = str(score).encode()
            value = tokenizers_number(<const char*>digits, <const char*>digits + len(digits))
        else:
            return "Unigram vocab scores must be numbers"
        if not isfinite(value):
            return "Unigram vocab scores must be finite"
        try:
            utf8 = PyUnicode_AsUTF8AndSize(piece, &size)
        except UnicodeEncodeError:
            return "a Unigram vocab piece is not valid UTF-8 text (a lone surrogate)"
        blob.append(utf8, size)
        off[k + 1] = <int64_t>blob.size()
        sc[k] = value
        if look and piece in wanted:
            found[piece] = k
    return blob, offsets, scores, found


cdef extern from "fastpool/tokenizer/bpe.h" namespace "fastpool::tokenizer" nogil:
    cdef cppclass BpeConfig:
        cbool add_prefix_space
        cbool use_regex
        cbool ignore_merges
        cbool fuse_unk
        cbool byte_fallback
        int32_t unk_id
        cbool qwen2_split
        vector[int] forms

    cdef cppclass BpeModelText:
        const char* vocab
        size_t vocab_size
        const int32_t* ids
        int64_t n_vocab
        const char* merges
        size_t merges_size
        int64_t n_merges
        cbool merge_pairs

    cdef cppclass ByteLevelBpe(TextTokenizer):
        int64_t build(const BpeConfig& config, const BpeModelText& model, const string& prefix,
                      const string& suffix, const StringTable& added) noexcept


cdef class ByteLevelBPETokenizer(NativeBase):
    """The native byte-level BPE tokenizer (ByteLevel pre-tokenizer + BPE)."""

    def __cinit__(
        self,
        bytes vocab_data,
        cnp.ndarray vocab_ids,
        bytes merges_data,
        int64_t n_merges,
        bint merge_pairs,
        bytes added_data,
        cnp.ndarray added_offsets,
        cnp.ndarray added_ids,
        bytes prefix,
        bytes suffix,
        bint add_prefix_space,
        bint use_regex,
        bint ignore_merges,
        bint fuse_unk,
        bint byte_fallback,
        int32_t unk_id,
        bint qwen2_split,
        list forms=None,
        cnp.ndarray added_flags=None,
    ):
        """vocab_data: the vocabulary's UTF-8 strings, each NUL-terminated, with
        vocab_ids (int32, contiguous); merges_data: n_merges merges in rank order,
        NUL-terminated, as "left right" or (merge_pairs) as left and right;
        added_*: strings as one blob with int64 offsets (n+1) and int32 ids (n).
        prefix / suffix: b"" for none; unk_id: -1 for none; qwen2_split:
        Qwen2's Split before ByteLevel; forms: the normalizer, Unicode forms as
        unicode_normalize numbers them, applied in order (None: no normalizer).
        added_flags: uint8 per added token, 1 lstrip | 2 rstrip (None: all 0).
        ValueError names the first merge that tokenizers would refuse."""
        cdef BpeConfig config
        config.add_prefix_space = add_prefix_space
        config.use_regex = use_regex
        config.ignore_merges = ignore_merges
        config.fuse_unk = fuse_unk
        config.byte_fallback = byte_fallback
        config.unk_id = unk_id
        config.qwen2_split = qwen2_split
        if forms:
            config.forms = forms
        cdef StringTable added = _string_table(added_data, added_offsets, added_ids, added_flags)
        cdef BpeModelText model
        model.vocab = PyBytes_AS_STRING(vocab_data)
        model.vocab_size = PyBytes_GET_SIZE(vocab_data)
        model.ids = <const int32_t*>cnp.PyArray_DATA(vocab_ids)
        model.n_vocab = cnp.PyArray_DIM(vocab_ids, 0)
        model.merges = PyBytes_AS_STRING(merges_data)
        model.merges_size = PyBytes_GET_SIZE(merges_data)
        model.n_merges = n_merges
        model.merge_pairs = merge_pairs
        cdef string pre = prefix
        cdef string suf = suffix
        cdef ByteLevelBpe* bpe = new ByteLevelBpe()
        cdef int64_t status
        with nogil:
            status = bpe.build(config, model, pre, suf, added)
        if status != -1:  # ByteLevelBpe::kBuilt
            del bpe
            if status == -2:
                raise MemoryError("out of memory while building the native tokenizer")
            if status == -3:
                raise ValueError("the vocabulary or merges strings do not match their counts")
            raise ValueError(f"merge {status} is one tokenizers would refuse", status)
        self.tok = bpe


cdef extern from "fastpool/tokenizer/unicode_norm.h" namespace "fastpool::tokenizer::unorm" nogil:
    cdef enum Form:
        kNFC
        kNFD
        kNFKC
        kNFKD
    void normalize_utf8(Form f, const char* text, size_t n, string& out,
                        vector[uint32_t]& cps, vector[uint32_t]& tmp) except +


#: The Unicode normalization forms, numbered as unicode_norm.h's Form.
UNICODE_FORMS = {"NFC": 0, "NFD": 1, "NFKC": 2, "NFKD": 3}


def unicode_normalize(int form, tuple texts):
    """Test hook: each text (str, or UTF-8 bytes: ill-formed parts become U+FFFD) in the
    Unicode normalization form `form` (UNICODE_FORMS), as str."""
    if not 0 <= form <= 3:
        raise ValueError(f"form must be 0..3 (NFC, NFD, NFKC, NFKD), got {form}")
    cdef _Texts t = _Texts(texts)
    cdef string clean, out
    cdef vector[uint32_t] cps, tmp
    cdef Py_ssize_t k
    result = []
    for k in range(<Py_ssize_t>t.data.size()):
        # The native code takes valid UTF-8: decode with replacement first, as tokenizers.
        clean = t.data[k][:t.sizes[k]].decode("utf-8", "replace").encode("utf-8")
        normalize_utf8(<Form>form, clean.c_str(), clean.size(), out, cps, tmp)
        result.append(out.decode("utf-8"))
    return result
