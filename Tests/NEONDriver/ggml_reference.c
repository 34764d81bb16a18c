// The ARM64 reference for the known-answer test: llama.cpp's own ARM dot products. Linked with ggml's CPU sources
// from the pinned llama.cpp (arch/arm/quants.c, quants.c, vec.cpp, ggml-quants.c), built by Debian's AArch64 GCC 12
// with the flags of one of llama.cpp's ARM variants (scripts/setup-arm-reference.sh), and run under qemu-aarch64.
//
// Usage: ggml_reference IN OUT. Reads the vectors NEONEmulationTests wrote (each record: u32 GGML type, u32 count,
// u32 weight bytes, u32 activation bytes, u32 expected F32 bits, the weight row, the activation row) and writes them
// to OUT with the expected bits replaced by what ggml's `ggml_vec_dot_*` computes for the record. I2_S is not a ggml
// type (bitnet.cpp's; its dot product is one exact integer times the row scale): its records keep their bits.
// Prints one line: the variant's compile-time features and the number of records rewritten.
//
// ggml_reference --gemv IN OUT: the repacked decode routes of llama.cpp's dot-product build instead (armv8.2_1
// only). OUT gets the Q4_0, Q8_0, IQ4_NL, Q4_K, Q5_K and Q6_K records of IN, each with the result of
// ggml_gemv_*_4x4_q8_0 / ggml_gemv_*_8x4_q8_K for its row: the row is repacked four or eight times over (ggml's
// make_block_*x4 / *x8 layouts, written out below) and lane 0 kept.
//
// ggml_reference --gemm IN OUT: the repacked weights' batch kernels (gemm) instead, with four identical activation
// rows (armv8.2_1 only).
//
// ggml_reference --tinyblas IN OUT: llamafile's tinyBLAS instead (F32 at both levels; Q4_0, Q8_0 at armv8.2_1).
//
// ggml_reference --rowops IN OUT: the row operations SwiGLU and softmax instead (their Advanced SIMD forms).
//
// ggml_reference --quantize IN OUT: the activation quantizers instead. Each input record is u32 GGML type (Q8_0 or
// Q8_1), u32 count (a multiple of 32), then `count` F32 values; OUT gets, per record, what ggml's quantize_row_q8_0 /
// quantize_row_q8_1 (its Advanced SIMD forms, which a matmul on ARM64 uses for its activations) write for them.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quants.h"

// vec.cpp's float dot products (declared here to keep vec.h's inline SIMD helpers out of this file).
void ggml_vec_dot_f32(int n, float *s, size_t bs, const float *x, size_t bx, const float *y, size_t by, int nrc);
void ggml_vec_dot_f16(int n, float *s, size_t bs, void *x, size_t bx, void *y, size_t by, int nrc);
void ggml_vec_dot_bf16(int n, float *s, size_t bs, void *x, size_t bx, void *y, size_t by, int nrc);

static int dot(uint32_t type, int n, const void *w, const void *x, float *out) {
    void *mw = (void *)w, *mx = (void *)x;
    switch (type) {
    case GGML_TYPE_F32: ggml_vec_dot_f32(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_F16: ggml_vec_dot_f16(n, out, 0, mw, 0, mx, 0, 1); return 1;
    case GGML_TYPE_BF16: ggml_vec_dot_bf16(n, out, 0, mw, 0, mx, 0, 1); return 1;
    case GGML_TYPE_Q4_0: ggml_vec_dot_q4_0_q8_0(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q4_1: ggml_vec_dot_q4_1_q8_1(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q5_0: ggml_vec_dot_q5_0_q8_0(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q8_0: ggml_vec_dot_q8_0_q8_0(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q2_K: ggml_vec_dot_q2_K_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q3_K: ggml_vec_dot_q3_K_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q4_K: ggml_vec_dot_q4_K_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q5_K: ggml_vec_dot_q5_K_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_Q6_K: ggml_vec_dot_q6_K_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_TQ1_0: ggml_vec_dot_tq1_0_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_TQ2_0: ggml_vec_dot_tq2_0_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_IQ4_NL: ggml_vec_dot_iq4_nl_q8_0(n, out, 0, w, 0, x, 0, 1); return 1;
    case GGML_TYPE_IQ4_XS: ggml_vec_dot_iq4_xs_q8_K(n, out, 0, w, 0, x, 0, 1); return 1;
    default: return 0;
    }
}

// What the rest of ggml would define; the dot products above never reach these.
void ggml_abort(const char *file, int line, const char *fmt, ...) {
    fprintf(stderr, "ggml_abort at %s:%d (%s)\n", file, line, fmt);
    abort();
}
const char *ggml_type_name(enum ggml_type type) { (void)type; return "?"; }
size_t ggml_type_size(enum ggml_type type) { (void)type; abort(); }
size_t ggml_row_size(enum ggml_type type, int64_t ne) { (void)type; (void)ne; abort(); }
float ggml_table_f32_ue4m3[256];

/// What a mode does with one record: its result replaces the expected bits (`RESULT`), the record is copied as it is
/// (`KEEP`) or left out (`SKIP`), or the run fails (`FAIL`, the reason printed).
enum outcome { RESULT, KEEP, SKIP, FAIL };
typedef enum outcome (*record_fn)(uint32_t type, int count, uint8_t *w, uint32_t wbytes, uint8_t *x, uint32_t *xbytes,
                                  float *result);

/// Reads IN's records (header, weight row, activation row; each row with room for 4 copies of itself after it, the
/// activation row for 4 copies of its F32 widening),
/// passes each to `fn` (which may rewrite the activation row in another format, setting its new size) and writes what
/// it says to OUT. Counts the records by outcome into `counts[RESULT…SKIP]`.
static int rewrite(const char *inPath, const char *outPath, record_fn fn, int counts[3]) {
    FILE *in = fopen(inPath, "rb"), *out = fopen(outPath, "wb");
    if (!in || !out) {
        perror(in ? outPath : inPath);
        return 2;
    }
    uint32_t header[5];
    while (fread(header, 4, 5, in) == 5) {
        uint32_t wbytes = header[2], xbytes = header[3];
        // Room for 4 copies of each row, the activation row's widened from F16 to F32.
        uint8_t *w = malloc(4 * (size_t)wbytes + 64), *x = malloc(8 * (size_t)xbytes + 64);
        if (!w || !x || fread(w, 1, wbytes, in) != wbytes || fread(x, 1, xbytes, in) != xbytes) {
            fprintf(stderr, "truncated vector file\n");
            return 2;
        }
        float result;
        enum outcome o = fn(header[0], (int)header[1], w, wbytes, x, &xbytes, &result);
        if (o == FAIL) return 2;
        counts[o]++;
        if (o == RESULT) memcpy(&header[4], &result, 4);
        header[3] = xbytes;
        if (o != SKIP &&
            (fwrite(header, 4, 5, out) != 5 || fwrite(w, 1, wbytes, out) != wbytes || fwrite(x, 1, xbytes, out) != xbytes)) {
            perror(outPath);
            return 2;
        }
        free(w);
        free(x);
    }
    if (fclose(out) != 0) {
        perror(outPath);
        return 2;
    }
    fclose(in);
    return 0;
}

/// The first of `n` results, after checking that all are the same (the rows were identical copies).
static enum outcome same(const float *values, int n, uint32_t type, float *result) {
    for (int i = 1; i < n; i++)
        if (memcmp(&values[0], &values[i], 4)) {
            fprintf(stderr, "type %u: identical rows gave different results\n", type);
            return FAIL;
        }
    *result = values[0];
    return RESULT;
}

// llamafile's sgemm, reached as ggml-cpu's mul_mat reaches it, single-threaded; the thread-pool calls it makes are
// answered here (one thread: the barrier is a no-op and the job counter a plain integer).
struct ggml_compute_params {
    int ith, nth;
    size_t wsize;
    void *wdata;
    struct ggml_threadpool *threadpool;
    bool use_ref;
};
bool llamafile_sgemm(const struct ggml_compute_params *params, int64_t m, int64_t n, int64_t k, const void *A,
                     int64_t lda, const void *B, int64_t ldb, void *C, int64_t ldc, int Atype, int Btype, int Ctype);
void ggml_barrier(struct ggml_threadpool *tp) { (void)tp; }
static int chunk;
void ggml_threadpool_chunk_set(struct ggml_threadpool *tp, int value) { (void)tp; chunk = value; }
int ggml_threadpool_chunk_add(struct ggml_threadpool *tp, int value) {
    (void)tp;
    int previous = chunk;
    chunk += value;
    return previous;
}
void ggml_log_internal(int level, const char *format, ...) { (void)level; (void)format; }

/// --tinyblas: F32, F16, Q4_0 and Q8_0 records through llamafile_sgemm (what ggml-cpu's mul_mat tries first for a
/// batch: F32 and F16 weights at every level, Q4_0/Q8_0 ones it did not repack at dotprod) as a 4-row weight times 4
/// identical activation rows; element (0, 0). F16 records leave with their activations widened to F32, as tinyBLAS
/// takes them. Records sgemm declines, and other types, are left out.
static enum outcome tinyblas(uint32_t type, int count, uint8_t *w, uint32_t wbytes, uint8_t *x, uint32_t *xbytes,
                             float *result) {
    if (type != GGML_TYPE_F32 && type != GGML_TYPE_F16 && type != GGML_TYPE_Q4_0 && type != GGML_TYPE_Q8_0) return SKIP;
    if (type == GGML_TYPE_F16) {  // tinyBLAS takes F16 weights against the F32 activations: widen the row (exact)
        for (int j = count - 1; j >= 0; j--) {
            __fp16 h;
            memcpy(&h, x + 2 * j, 2);
            float f = (float)h;
            memcpy(x + 4 * j, &f, 4);
        }
        *xbytes = 4 * (uint32_t)count;
    }
    for (int r = 1; r < 4; r++) {
        memcpy(w + (size_t)r * wbytes, w, wbytes);
        memcpy(x + (size_t)r * *xbytes, x, *xbytes);
    }
    int floats = type == GGML_TYPE_F32 || type == GGML_TYPE_F16;
    int64_t k = floats ? count : count / 32;  // in elements or in blocks
    struct ggml_compute_params params = {0, 1, 0, NULL, NULL, false};
    float c[16];
    int btype = floats ? GGML_TYPE_F32 : GGML_TYPE_Q8_0;
    if (!llamafile_sgemm(&params, 4, 4, k, w, k, x, k, c, 4, (int)type, btype, GGML_TYPE_F32)) return SKIP;
    return same(c, 16, type, result);
}

#if defined(__ARM_FEATURE_DOTPROD)
void ggml_gemv_q4_0_4x4_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemv_q8_0_4x4_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemv_iq4_nl_4x4_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemv_q4_K_8x4_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemv_q5_K_8x4_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemv_q6_K_8x4_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);

/// Copies `bytes` of each of 8 rows' field at `from` (all rows the same here) to `to` in 4-byte chunks taken from the
/// rows in turn (ggml's 8×4 interleave).
static void interleave8(uint8_t *to, const uint8_t *from, int bytes) {
    for (int i = 0; i < 8 * bytes / 4; i++) memcpy(to + 4 * i, from + 4 * (i / 8), 4);
}

/// The 6-bit scales and mins of eight Q4_K/Q5_K rows (`sc`, all the same row here) re-packed per sub-block across
/// the rows into 96 bytes at `out`, as make_block_q4_Kx8 / make_block_q5_Kx8 do.
static void pack_k_scales(uint8_t *out, const uint8_t *sc) {
    for (int half = 0; half < 2; half++) {
        for (int i = 0; i < 4; i++) {
            uint8_t s[8], m[8];
            for (int j = 0; j < 8; j++) {  // row j's scale and min of sub-block 4·half + i
                s[j] = half == 0 ? sc[i] & 63 : (uint8_t)(((sc[i] & 192) >> 2) | (sc[i + 8] & 15));
                m[j] = half == 0 ? sc[i + 4] & 63 : (uint8_t)(((sc[i + 4] & 192) >> 2) | ((sc[i + 8] & 240) >> 4));
            }
            uint8_t *t = out + 48 * half + 12 * i;
            for (int j = 0; j < 4; j++) {
                t[j] = (uint8_t)((s[j] & 63) + ((s[j + 4] & 48) << 2));
                t[j + 4] = (uint8_t)((m[j] & 63) + ((m[j + 4] & 48) << 2));
                t[j + 8] = (uint8_t)((s[j + 4] & 15) + ((m[j + 4] & 15) << 4));
            }
        }
    }
}

/// `row` as eight identical rows in ggml's Q4_K (`q5` 0: 144-byte blocks) or Q5_K (`q5` 1: 176-byte blocks) 8×4
/// layout: d[8], dmin[8], the packed scales, [Q5_K: the high bits interleaved,] the quants interleaved.
static uint8_t *repack_k(const uint8_t *row, int blocks, int q5) {
    int inBlock = q5 ? 176 : 144, outBlock = q5 ? 1408 : 1152;
    uint8_t *out = malloc((size_t)blocks * outBlock);
    if (!out) return NULL;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *in = row + (size_t)b * inBlock;
        uint8_t *o = out + (size_t)b * outBlock;
        for (int r = 0; r < 8; r++) {
            memcpy(o + 2 * r, in, 2);
            memcpy(o + 16 + 2 * r, in + 2, 2);
        }
        pack_k_scales(o + 32, in + 4);
        if (q5) interleave8(o + 128, in + 16, 32);
        interleave8(o + (q5 ? 384 : 128), in + (q5 ? 48 : 16), 128);
    }
    return out;
}

/// `row` as eight identical rows in ggml's Q6_K 8×4 layout (make_block_q6_Kx8): d[8], the 16 scales per row
/// interleaved scale by scale, then ql and qh interleaved.
static uint8_t *repack_q6_K(const uint8_t *row, int blocks) {
    uint8_t *out = malloc((size_t)blocks * 1680);
    if (!out) return NULL;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *in = row + (size_t)b * 210;
        uint8_t *o = out + (size_t)b * 1680;
        for (int r = 0; r < 8; r++) memcpy(o + 2 * r, in + 208, 2);
        for (int j = 0; j < 16; j++)
            for (int r = 0; r < 8; r++) o[16 + 8 * j + r] = in[192 + j];
        interleave8(o + 144, in, 128);
        interleave8(o + 144 + 1024, in + 128, 64);
    }
    return out;
}

/// `row` (blocks of `blockBytes`: an F16 scale then `quantBytes` quants) as four identical rows in ggml's 4×4
/// repacked layout: per block, the four scales, then the quants in 4-byte chunks taken from the rows in turn;
/// Q4_0's nibbles XOR 0x88 (ggml stores them offset, to read them as signed).
static uint8_t *repack4(const uint8_t *row, int blocks, int blockBytes, int quantBytes, int q4_0) {
    int outBlock = 8 + 4 * quantBytes;
    uint8_t *out = malloc((size_t)blocks * outBlock);
    if (!out) return NULL;
    for (int b = 0; b < blocks; b++) {
        const uint8_t *in = row + (size_t)b * blockBytes;
        uint8_t *o = out + (size_t)b * outBlock;
        for (int r = 0; r < 4; r++) memcpy(o + 2 * r, in, 2);
        for (int i = 0; i < quantBytes; i++) {  // chunk i: row i % 4 (all the same here), bytes 4·(i / 4) …
            uint32_t chunk;
            memcpy(&chunk, in + 2 + 4 * (i / 4), 4);
            if (q4_0) chunk ^= 0x88888888u;
            memcpy(o + 8 + 4 * i, &chunk, 4);
        }
    }
    return out;
}

void ggml_gemm_q4_0_4x4_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemm_q8_0_4x4_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemm_iq4_nl_4x4_q8_0(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemm_q4_K_8x4_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemm_q5_K_8x4_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);
void ggml_gemm_q6_K_8x4_q8_K(int n, float *s, size_t bs, const void *vx, const void *vy, int nr, int nc);

/// A quantized activation row as four identical rows in the layout ggml's 4-row activation quantizers write for
/// the gemm: Q8_0 (ggml_quantize_mat_q8_0_4x4: per block d[4] then the quants in 4-byte chunks from the rows in turn)
/// or Q8_K (ggml_quantize_mat_q8_K_4x4: d[4] as F32, the quants the same way, the bsums of 16 re-grouped).
static uint8_t *activations4(const uint8_t *row, int count, int q8_K) {
    int blocks = q8_K ? count / 256 : count / 32, outBlock = q8_K ? 16 + 1024 + 128 : 8 + 128;
    uint8_t *out = calloc((size_t)blocks, outBlock);
    if (!out) return NULL;
    for (int b = 0; b < blocks; b++) {
        uint8_t *o = out + (size_t)b * outBlock;
        if (!q8_K) {
            const uint8_t *in = row + (size_t)b * 34;
            for (int r = 0; r < 4; r++) memcpy(o + 2 * r, in, 2);
            for (int i = 0; i < 32; i++) memcpy(o + 8 + 4 * i, in + 2 + 4 * (i / 4), 4);
            continue;
        }
        const uint8_t *in = row + (size_t)b * 292;
        const int8_t *qs = (const int8_t *)in + 4;
        int8_t *oq = (int8_t *)o + 16;
        int16_t bsums[64] = {0};
        for (int r = 0; r < 4; r++) memcpy(o + 4 * r, in, 4);
        for (int j = 0; j < 1024; j++) {  // as ggml_quantize_mat_q8_K_4x4_generic walks them
            int offset = (j / 16) * 4 + j % 4, index = (((j & 15) >> 2) << 2) + ((j >> 8) << 4) + ((j >> 6) & 3);
            oq[j] = qs[offset];
            bsums[index] = (int16_t)(bsums[index] + qs[offset]);
        }
        memcpy(o + 16 + 1024, bsums, sizeof bsums);
    }
    return out;
}

/// `w` (a row of `count` elements) in ggml's repacked layout for its type, four (Q4_0, Q8_0, IQ4_NL) or eight
/// (Q4_K, Q5_K, Q6_K) identical rows, with that row count in `*rows`; NULL with `*rows` 0 for a type llama.cpp does
/// not repack.
static uint8_t *repacked(uint32_t type, const uint8_t *w, int count, int *rows) {
    int superBlocks = count / 256, blocks = count / 32;
    *rows = type == GGML_TYPE_Q4_K || type == GGML_TYPE_Q5_K || type == GGML_TYPE_Q6_K ? 8
        : type == GGML_TYPE_Q4_0 || type == GGML_TYPE_Q8_0 || type == GGML_TYPE_IQ4_NL ? 4 : 0;
    switch (type) {
    case GGML_TYPE_Q6_K: return repack_q6_K(w, superBlocks);
    case GGML_TYPE_Q4_K: case GGML_TYPE_Q5_K: return repack_k(w, superBlocks, type == GGML_TYPE_Q5_K);
    case GGML_TYPE_Q8_0: return repack4(w, blocks, 34, 32, 0);
    case GGML_TYPE_Q4_0: case GGML_TYPE_IQ4_NL: return repack4(w, blocks, 18, 16, type == GGML_TYPE_Q4_0);
    default: return NULL;
    }
}

/// --gemm: Q4_0, Q8_0, IQ4_NL, Q4_K, Q5_K and Q6_K records through the repacked weights' batch kernels
/// (ggml_gemm_*_4x4_q8_0 / _8x4_q8_K) with four identical activation rows; element (0, 0).
static enum outcome gemm(uint32_t type, int count, uint8_t *w, uint32_t wbytes, uint8_t *x, uint32_t *xbytes,
                         float *result) {
    (void)wbytes;
    (void)xbytes;
    int cols;
    uint8_t *packed = repacked(type, w, count, &cols);
    if (!cols) return SKIP;
    uint8_t *acts = activations4(x, count, cols == 8);
    float c[4 * 8];
    if (!packed || !acts) return FAIL;
    switch (type) {
    case GGML_TYPE_Q4_0: ggml_gemm_q4_0_4x4_q8_0(count, c, 4, packed, acts, 4, 4); break;
    case GGML_TYPE_Q8_0: ggml_gemm_q8_0_4x4_q8_0(count, c, 4, packed, acts, 4, 4); break;
    case GGML_TYPE_IQ4_NL: ggml_gemm_iq4_nl_4x4_q8_0(count, c, 4, packed, acts, 4, 4); break;
    case GGML_TYPE_Q4_K: ggml_gemm_q4_K_8x4_q8_K(count, c, 8, packed, acts, 4, 8); break;
    case GGML_TYPE_Q5_K: ggml_gemm_q5_K_8x4_q8_K(count, c, 8, packed, acts, 4, 8); break;
    default: ggml_gemm_q6_K_8x4_q8_K(count, c, 8, packed, acts, 4, 8); break;
    }
    free(packed);
    free(acts);
    return same(c, 4 * cols, type, result);
}

/// --gemv: Q4_0, Q8_0, IQ4_NL, Q4_K, Q5_K and Q6_K records through the repacked weights' decode kernels
/// (ggml_gemv_*_4x4_q8_0 / _8x4_q8_K), the row repacked four or eight times over; lane 0.
static enum outcome gemv(uint32_t type, int count, uint8_t *w, uint32_t wbytes, uint8_t *x, uint32_t *xbytes,
                         float *result) {
    (void)wbytes;
    (void)xbytes;
    int rows;
    uint8_t *packed = repacked(type, w, count, &rows);
    if (!rows) return SKIP;
    float lanes[8];
    if (!packed) return FAIL;
    switch (type) {
    case GGML_TYPE_Q4_0: ggml_gemv_q4_0_4x4_q8_0(count, lanes, 0, packed, x, 1, 4); break;
    case GGML_TYPE_Q8_0: ggml_gemv_q8_0_4x4_q8_0(count, lanes, 0, packed, x, 1, 4); break;
    case GGML_TYPE_IQ4_NL: ggml_gemv_iq4_nl_4x4_q8_0(count, lanes, 0, packed, x, 1, 4); break;
    case GGML_TYPE_Q4_K: ggml_gemv_q4_K_8x4_q8_K(count, lanes, 0, packed, x, 1, 8); break;
    case GGML_TYPE_Q5_K: ggml_gemv_q5_K_8x4_q8_K(count, lanes, 0, packed, x, 1, 8); break;
    default: ggml_gemv_q6_K_8x4_q8_K(count, lanes, 0, packed, x, 1, 8); break;
    }
    free(packed);
    return same(lanes, rows, type, result);
}
#endif

void ggml_vec_swiglu_f32(const int n, float *y, const float *x, const float *g);
double ggml_vec_soft_max_f32(const int n, float *y, const float *x, float max);

/// The F32-row modes (--quantize, --rowops): records of u32 tag and u32 count, then F32 data that `fn` reads from IN
/// and answers on OUT (nonzero: stop, the reason printed). Prints one line naming `what` and the record count.
typedef int (*float_row_fn)(uint32_t tag, uint32_t count, FILE *in, FILE *out);
static int float_rows(const char *inPath, const char *outPath, float_row_fn fn, const char *what) {
    FILE *in = fopen(inPath, "rb"), *out = fopen(outPath, "wb");
    if (!in || !out) {
        perror(in ? outPath : inPath);
        return 2;
    }
    uint32_t header[2];
    int records = 0;
    while (fread(header, 4, 2, in) == 2) {
        if (fn(header[0], header[1], in, out)) return 2;
        records++;
    }
    if (fclose(out) != 0) {
        perror(outPath);
        return 2;
    }
    fclose(in);
    printf("ggml reference: %d rows through %s\n", records, what);
    return 0;
}

/// `count` F32 values from `in`, in a new buffer (NULL when short).
static float *read_floats(FILE *in, uint32_t count) {
    float *v = malloc(4 * (size_t)count + 64);
    if (v && fread(v, 4, count, in) == count) return v;
    free(v);
    fprintf(stderr, "truncated input\n");
    return NULL;
}

void ggml_vec_swiglu_f32(const int n, float *y, const float *x, const float *g);
double ggml_vec_soft_max_f32(const int n, float *y, const float *x, float max);

/// --rowops: after the tag (the op) and count, `count` floats a and `count` floats b. Op 0: ggml_vec_swiglu_f32(a, b)
/// (`count` floats out). Op 1: ggml_vec_soft_max_f32(a, max: b[0]) — its F64 sum, then the `count` exponentials.
static int rowop(uint32_t op, uint32_t count, FILE *in, FILE *out) {
    float *a = read_floats(in, count), *b = a ? read_floats(in, count) : NULL, *y = malloc(4 * (size_t)count + 64);
    if (!a || !b || !y || op > 1) {
        fprintf(stderr, "--rowops: bad record (op %u, count %u)\n", op, count);
        return 1;
    }
    double sum = 0;
    if (op == 0) ggml_vec_swiglu_f32((int)count, y, a, b);
    else sum = ggml_vec_soft_max_f32((int)count, y, a, b[0]);
    if ((op == 1 && fwrite(&sum, 8, 1, out) != 1) || fwrite(y, 4, count, out) != count) {
        perror("--rowops");
        return 1;
    }
    free(a);
    free(b);
    free(y);
    return 0;
}

/// --quantize: after the tag (Q8_0 or Q8_1) and count (a multiple of 32), `count` floats; out: what ggml's
/// quantize_row_q8_0 / quantize_row_q8_1 (their Advanced SIMD forms) write for them.
static int quantize(uint32_t type, uint32_t count, FILE *in, FILE *out) {
    size_t blockBytes = type == GGML_TYPE_Q8_0 ? sizeof(block_q8_0) : type == GGML_TYPE_Q8_1 ? sizeof(block_q8_1) : 0;
    if (blockBytes == 0 || count % 32 != 0) {
        fprintf(stderr, "--quantize: type %u, count %u is not a Q8_0/Q8_1 row\n", type, count);
        return 1;
    }
    float *x = read_floats(in, count);
    size_t bytes = count / 32 * blockBytes;
    uint8_t *y = malloc(bytes);
    if (!x || !y) return 1;
    if (type == GGML_TYPE_Q8_0) quantize_row_q8_0(x, y, count);
    else quantize_row_q8_1(x, y, count);
    if (fwrite(y, 1, bytes, out) != bytes) {
        perror("--quantize");
        return 1;
    }
    free(x);
    free(y);
    return 0;
}

/// The default mode: every ggml type's record through its `ggml_vec_dot_*`; I2_S's kept.
static enum outcome vec_dot(uint32_t type, int count, uint8_t *w, uint32_t wbytes, uint8_t *x, uint32_t *xbytes,
                            float *result) {
    (void)wbytes;
    (void)xbytes;
    return dot(type, count, w, x, result) ? RESULT : KEEP;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--quantize") == 0)
        return float_rows(argv[2], argv[3], quantize, "quantize_row_q8_0/_q8_1");
    if (argc == 4 && strcmp(argv[1], "--rowops") == 0)
        return float_rows(argv[2], argv[3], rowop, "ggml_vec_swiglu_f32 / ggml_vec_soft_max_f32");
    const char *mode = argc == 4 ? argv[1] : "";
    record_fn fn = argc == 3 ? vec_dot : strcmp(mode, "--tinyblas") == 0 ? tinyblas : NULL;
#if defined(__ARM_FEATURE_DOTPROD)
    if (strcmp(mode, "--gemv") == 0) fn = gemv;
    if (strcmp(mode, "--gemm") == 0) fn = gemm;
#else
    if (strcmp(mode, "--gemv") == 0 || strcmp(mode, "--gemm") == 0) {
        fprintf(stderr, "%s: llama.cpp repacks only in its dot-product builds (use armv8.2_1)\n", mode);
        return 2;
    }
#endif
    if (!fn) {
        fprintf(stderr, "usage: ggml_reference [--gemv | --gemm | --tinyblas | --quantize | --rowops] IN OUT\n");
        return 2;
    }
    int counts[3] = {0, 0, 0};
    int status = rewrite(argv[argc - 2], argv[argc - 1], fn, counts);
    if (status) return status;
    printf("ggml reference (%s%s%s%s%s): %d records computed, %d kept, %d left out\n", argc == 3 ? "vec_dot" : mode + 2,
#if defined(__ARM_FEATURE_DOTPROD)
           ", dotprod",
#else
           ", no dotprod",
#endif
#if defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)
           ", fp16 arithmetic",
#else
           "",
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
           ", i8mm",
#else
           "",
#endif
           "", counts[RESULT], counts[KEEP], counts[SKIP]);
    return 0;
}
