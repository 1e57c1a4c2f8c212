// fuzz_kernel.cc - libFuzzer target: the pooling kernel against a scalar reference.
//
// The fuzz bytes choose a shape (rows, dim, table rows, vocabulary), a table
// dtype, optional weights / mapping / scale, mean or sum, normalize, and the
// ids and offsets. The harness makes the CSR valid the way the Python layer
// guarantees it (ids < vocabulary, offsets monotone from 0 to len(ids)), checks
// it with the same check functions (check.h), runs fastpool::pool<T> at every
// instruction set this CPU has and compares each with a plain double-precision
// loop. Table values and weights are multiples of 1/16 of small magnitude, so
// every sum is exact in float32 and the only rounding is in the mean and the
// norm: the tolerance is a few ulps.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fastpool/check.h"
#include "fastpool/dispatch.h"
#include "fastpool/pool.h"

namespace {

struct Bytes {
    const std::uint8_t* p;
    std::size_t n;
    std::uint8_t u8() {
        if (!n) return 0;
        --n;
        return *p++;
    }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
};

template <class T>
T make(float v);
template <>
float make<float>(float v) {
    return v;
}
template <>
double make<double>(float v) {
    return v;
}
template <>
std::int8_t make<std::int8_t>(float v) {
    return static_cast<std::int8_t>(v * 16);
}
template <>
fastpool::half_t make<fastpool::half_t>(float v) {
    // v = k / 16 with |k| < 128: exact in half; build the bits by hand.
    fastpool::half_t h{0};
    if (v == 0) return h;
    std::uint16_t sign = v < 0 ? 0x8000 : 0;
    float a = std::fabs(v);
    int e = 0;
    float m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
    int exp = e - 1 + 15;
    auto mant = static_cast<std::uint16_t>(std::lround((m * 2 - 1) * 1024));
    h.bits = static_cast<std::uint16_t>(sign | (exp << 10) | mant);
    return h;
}
template <>
fastpool::bfloat16_t make<fastpool::bfloat16_t>(float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    return fastpool::bfloat16_t{static_cast<std::uint16_t>(bits >> 16)};
}

template <class T>
float as_float(T x) {
    return fastpool::to_f32(x);
}

template <class T, class Id>
void run(Bytes& in, std::int64_t n_rows, std::int64_t dim, std::int64_t table_rows) {
    const bool use_mapping = in.u8() & 1, use_weights = in.u8() & 1;
    const bool use_scale = std::is_same_v<T, std::int8_t> && (in.u8() & 1);
    const bool per_row_scale = in.u8() & 1;
    fastpool::PoolArgs a;
    a.mean = in.u8() & 1;
    a.normalize = in.u8() & 1;
    const std::int64_t n_vocab = use_mapping ? 1 + in.u8() % 64 : table_rows;
    std::vector<std::int32_t> mapping(static_cast<std::size_t>(n_vocab));
    for (auto& m : mapping) m = static_cast<std::int32_t>(in.u8() % table_rows);
    std::vector<float> weights(static_cast<std::size_t>(n_vocab));
    for (auto& w : weights) w = static_cast<float>(static_cast<std::int8_t>(in.u8())) / 16;
    std::vector<float> scale(static_cast<std::size_t>(per_row_scale ? table_rows : 1));
    for (auto& s : scale) s = static_cast<float>(1 + in.u8() % 8) / 8;
    const std::int64_t row_stride = dim + in.u8() % 3;
    std::vector<T> table(static_cast<std::size_t>(table_rows * row_stride));
    for (auto& t : table) t = make<T>(static_cast<float>(static_cast<std::int8_t>(in.u8())) / 16);
    std::vector<std::int64_t> offsets{0};
    std::vector<Id> ids;
    for (std::int64_t r = 0; r < n_rows; ++r) {
        const int len = in.u8() % 24;
        for (int k = 0; k < len; ++k) ids.push_back(static_cast<Id>(in.u8() % n_vocab));
        offsets.push_back(static_cast<std::int64_t>(ids.size()));
    }
    const auto n_ids = static_cast<std::int64_t>(ids.size());
    // The Python layer's checks, which the kernel relies on.
    if (fastpool::first_out_of_range(ids.data(), n_ids, n_vocab) != -1) std::abort();
    if (fastpool::first_out_of_range(mapping.data(), n_vocab, table_rows) != -1) std::abort();
    if (fastpool::first_decrease(offsets.data(), n_rows + 1) != -1) std::abort();

    a.ids = ids.data();
    a.ids_are_64 = sizeof(Id) == 8;
    a.offsets = offsets.data();
    a.n_rows = n_rows;
    a.dim = dim;
    a.row_stride = row_stride;
    a.weights = use_weights ? weights.data() : nullptr;
    a.mapping = use_mapping ? mapping.data() : nullptr;
    a.id_limit = n_vocab;
    a.table_rows = table_rows;
    a.scale = use_scale ? scale.data() : nullptr;
    a.scale_stride = per_row_scale ? 1 : 0;
    a.n_threads = 1 + in.u8() % 4;

    std::vector<double> ref(static_cast<std::size_t>(n_rows * dim), 0.0);
    for (std::int64_t r = 0; r < n_rows; ++r) {
        double* o = ref.data() + r * dim;
        for (std::int64_t k = offsets[r]; k < offsets[r + 1]; ++k) {
            const std::int64_t id = ids[k];
            const std::int64_t row = use_mapping ? mapping[id] : id;
            double c = use_weights ? weights[id] : 1.0;
            if (use_scale) c *= scale[per_row_scale ? row : 0];
            for (std::int64_t j = 0; j < dim; ++j)
                o[j] += c * as_float(table[row * row_stride + j]);
        }
        const std::int64_t count = offsets[r + 1] - offsets[r];
        if (a.mean && count > 0)
            for (std::int64_t j = 0; j < dim; ++j) o[j] /= static_cast<double>(count);
        if (a.normalize) {
            double sq = 0;
            for (std::int64_t j = 0; j < dim; ++j) sq += o[j] * o[j];
            const double inv = 1.0 / (std::sqrt(sq) + 1e-32);
            for (std::int64_t j = 0; j < dim; ++j) o[j] *= inv;
        }
    }
    std::vector<float> out(static_cast<std::size_t>(n_rows * dim));
    const auto best = static_cast<int>(fastpool::best_isa());
    for (int isa = 0; isa <= best; ++isa) {
        fastpool::set_isa(static_cast<fastpool::Isa>(isa));
        std::fill(out.begin(), out.end(), NAN);
        fastpool::pool<T>(a, table.data(), out.data());
        for (std::int64_t r = 0; r < n_rows; ++r) {
            double peak = 0;
            for (std::int64_t j = 0; j < dim; ++j)
                peak = std::fmax(peak, std::fabs(ref[r * dim + j]));
            for (std::int64_t j = 0; j < dim; ++j) {
                const double want = ref[r * dim + j], got = out[r * dim + j];
                if (!(std::fabs(got - want) <= 1e-5 * peak + 1e-30)) {
                    std::fprintf(stderr, "isa %d row %ld col %ld: got %.9g want %.9g\n", isa,
                                 static_cast<long>(r), static_cast<long>(j), got, want);
                    std::abort();
                }
            }
        }
    }
}

template <class T>
void by_id(Bytes& in, std::int64_t n_rows, std::int64_t dim, std::int64_t table_rows) {
    if (in.u8() & 1)
        run<T, std::int64_t>(in, n_rows, dim, table_rows);
    else
        run<T, std::int32_t>(in, n_rows, dim, table_rows);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Bytes in{data, size};
    const std::int64_t n_rows = in.u8() % 40;
    const std::int64_t dim = 1 + in.u8() % 80;  // covers whole-row, block and tail paths
    const std::int64_t table_rows = 1 + in.u8() % 64;
    switch (in.u8() % 5) {
        case 0:
            by_id<float>(in, n_rows, dim, table_rows);
            break;
        case 1:
            by_id<double>(in, n_rows, dim, table_rows);
            break;
        case 2:
            by_id<fastpool::half_t>(in, n_rows, dim, table_rows);
            break;
        case 3:
            by_id<fastpool::bfloat16_t>(in, n_rows, dim, table_rows);
            break;
        default:
            by_id<std::int8_t>(in, n_rows, dim, table_rows);
            break;
    }
    return 0;
}
