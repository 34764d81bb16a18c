// Known-answer test of the ARM64 kernels (Sources/KernelsNEON), built for AArch64 and run under qemu-aarch64 by
// `NEONEmulationTests`. Reads a vector file (each record: u32 GGML type, u32 count, u32 weight bytes, u32 activation
// bytes, u32 expected F32 bits — llama.cpp's result, written by ggml_reference.c — then the weight row and the
// activation row), runs every kernel of the `neon` level and, when this CPU reports dot-product instructions, of the
// `dotprod` level (or only the level `--level` names), and requires each result to have exactly the expected bits.
//
// Usage: driver VECTORS [--expect-dotprod yes|no] [--level neon|dotprod] [--route gemv|gemm|tinyblas] (the dotprod
// level's repacked-weight kernels instead of the dot products: decode, `bitnet_dotprod_gemv_*`, or batch,
// `bitnet_dotprod_gemm_*`). Prints the CPU features it found, one line
// per level and type, each mismatch, and a closing "N passed, M failed" line; exits 1 on any mismatch or unexpected
// feature set.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "KernelsCSupport.h"
#include "bitnet_neon.h"

typedef float (*dot_fn)(const void *, const void *, ptrdiff_t);

typedef struct {
    uint32_t type;
    const char *name;
    dot_fn neon, dotprod;  // dotprod NULL: the type has no SDOT form (its neon kernel serves both levels)
} kernel_row;

static const kernel_row table[] = {
    {0, "f32", bitnet_neon_dot_f32, NULL},
    {1, "f16", bitnet_neon_dot_f16, NULL},
    {30, "bf16", bitnet_neon_dot_bf16, NULL},
    {2, "q4_0", bitnet_neon_dot_q4_0, bitnet_dotprod_dot_q4_0},
    {3, "q4_1", bitnet_neon_dot_q4_1, bitnet_dotprod_dot_q4_1},
    {6, "q5_0", bitnet_neon_dot_q5_0, bitnet_dotprod_dot_q5_0},
    {8, "q8_0", bitnet_neon_dot_q8_0, bitnet_dotprod_dot_q8_0},
    {35, "tq2_0", bitnet_neon_dot_tq2_0, bitnet_dotprod_dot_tq2_0},
    {36, "i2_s", bitnet_neon_dot_i2_s, bitnet_dotprod_dot_i2_s},
    {12, "q4_K", bitnet_neon_dot_q4_K, bitnet_dotprod_dot_q4_K},
    {14, "q6_K", bitnet_neon_dot_q6_K, bitnet_dotprod_dot_q6_K},
    {34, "tq1_0", bitnet_neon_dot_tq1_0, bitnet_dotprod_dot_tq1_0},
    {10, "q2_K", bitnet_neon_dot_q2_K, bitnet_dotprod_dot_q2_K},
    {11, "q3_K", bitnet_neon_dot_q3_K, bitnet_dotprod_dot_q3_K},
    {13, "q5_K", bitnet_neon_dot_q5_K, bitnet_dotprod_dot_q5_K},
    {20, "iq4_nl", bitnet_neon_dot_iq4_nl, bitnet_dotprod_dot_iq4_nl},
    {23, "iq4_xs", bitnet_neon_dot_iq4_xs, bitnet_dotprod_dot_iq4_xs},
};
enum { TYPES = sizeof table / sizeof table[0] };

// `--route gemv`: llama.cpp's repacked-weight decode routes at the dotprod level (the only level it repacks at).
static const kernel_row gemvTable[] = {
    {2, "q4_0", NULL, bitnet_dotprod_gemv_q4_0},
    {8, "q8_0", NULL, bitnet_dotprod_gemv_q8_0},
    {20, "iq4_nl", NULL, bitnet_dotprod_gemv_iq4_nl},
    {12, "q4_K", NULL, bitnet_dotprod_gemv_q4_K},
    {13, "q5_K", NULL, bitnet_dotprod_gemv_q5_K},
    {14, "q6_K", NULL, bitnet_dotprod_dot_q6_K},  // Q6_K's 8×4 gemv has its vec_dot's order
};

// `--route tinyblas`: llamafile's tinyBLAS (F32 at both levels, Q4_0/Q8_0 at dotprod).
static const kernel_row tinyBLASTable[] = {
    {0, "f32", bitnet_neon_tinyblas_f32, NULL},
    {1, "f16", bitnet_neon_tinyblas_f16, NULL},  // F32 activations
    {2, "q4_0", NULL, bitnet_dotprod_tinyblas_q4_0},
    {8, "q8_0", NULL, bitnet_dotprod_tinyblas_q8_0},
};

// `--route gemm`: the repacked weights' batch kernels (the gemv's where the gemm keeps its order).
static const kernel_row gemmTable[] = {
    {2, "q4_0", NULL, bitnet_dotprod_gemv_q4_0},
    {8, "q8_0", NULL, bitnet_dotprod_gemm_q8_0},
    {20, "iq4_nl", NULL, bitnet_dotprod_gemv_iq4_nl},
    {12, "q4_K", NULL, bitnet_dotprod_gemv_q4_K},
    {13, "q5_K", NULL, bitnet_dotprod_gemv_q5_K},
    {14, "q6_K", NULL, bitnet_dotprod_gemm_q6_K},
};

static const kernel_row *rows = table;  // the table in use
static int rowCount = TYPES;

static const kernel_row *row_for(uint32_t type) {
    for (int i = 0; i < rowCount; i++)
        if (rows[i].type == type) return &rows[i];
    return NULL;
}

static uint32_t bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: driver VECTORS [--expect-dotprod yes|no] [--level neon|dotprod] [--route gemv|gemm|tinyblas]\n");
        return 2;
    }
    const char *expect = NULL;
    int only = -1;  // -1: every level the CPU has; 0: neon; 1: dotprod
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--expect-dotprod") == 0) {
            expect = argv[i + 1];
        } else if (strcmp(argv[i], "--level") == 0 && (strcmp(argv[i + 1], "neon") == 0 || strcmp(argv[i + 1], "dotprod") == 0)) {
            only = strcmp(argv[i + 1], "dotprod") == 0;
        } else if (strcmp(argv[i], "--route") == 0 && strcmp(argv[i + 1], "gemv") == 0) {
            rows = gemvTable;
            rowCount = sizeof gemvTable / sizeof gemvTable[0];
            only = 1;
        } else if (strcmp(argv[i], "--route") == 0 && strcmp(argv[i + 1], "tinyblas") == 0) {
            rows = tinyBLASTable;
            rowCount = sizeof tinyBLASTable / sizeof tinyBLASTable[0];
        } else if (strcmp(argv[i], "--route") == 0 && strcmp(argv[i + 1], "gemm") == 0) {
            rows = gemmTable;
            rowCount = sizeof gemmTable / sizeof gemmTable[0];
            only = 1;
        } else {
            fprintf(stderr, "unknown argument %s %s\n", argv[i], argv[i + 1]);
            return 2;
        }
    }
    unsigned features = bitnet_cpu_features();
    int dotprod = (features & BITNET_CPU_DOTPROD) != 0;
    printf("features: %s%s\n", features & BITNET_CPU_NEON ? "neon" : "(no neon)", dotprod ? " dotprod" : "");
    int failed = 0, passed = 0;
    if (expect && (strcmp(expect, "yes") == 0) != dotprod) {
        printf("FAIL: expected dotprod %s, the CPU reports %s\n", expect, dotprod ? "yes" : "no");
        failed++;
    }
    if (only == 1 && !dotprod) {
        printf("FAIL: --level dotprod on a CPU without dot-product instructions\n");
        failed++;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    int counts[TYPES][2][2] = {{{0}}};  // [type][level][identical?]
    uint32_t header[5];
    while (fread(header, 4, 5, f) == 5) {
        uint32_t type = header[0], count = header[1], wbytes = header[2], xbytes = header[3], expected = header[4];
        uint8_t *w = malloc(wbytes + 64), *x = malloc(xbytes + 64);
        if (!w || !x || fread(w, 1, wbytes, f) != wbytes || fread(x, 1, xbytes, f) != xbytes) {
            fprintf(stderr, "truncated vector file\n");
            return 2;
        }
        const kernel_row *k = row_for(type);
        if (!k) {
            printf("FAIL: no kernel for GGML type %u\n", type);
            failed++;
        } else {
            int index = (int)(k - rows);
            for (int level = 0; level < 2; level++) {
                if (only >= 0 && level != only) continue;
                // At the dotprod level a type without an SDOT form runs its neon kernel; checked there only when
                // that level is asked for alone (its own expected bits), not again beside the neon run.
                dot_fn fn = level == 0 ? k->neon : (k->dotprod ? k->dotprod : (only == 1 ? k->neon : NULL));
                if (level == 1 && (!dotprod || !fn)) continue;
                if (!fn) continue;  // a route table row without a kernel at this level
                float got = fn(w, x, (ptrdiff_t)count);
                int same = bits(got) == expected;
                counts[index][level][same]++;
                if (same) {
                    passed++;
                } else {
                    failed++;
                    float want;
                    memcpy(&want, &expected, 4);
                    printf("FAIL: %s %s count %u: got %.9g (0x%08x), expected %.9g (0x%08x)\n",
                           level ? "dotprod" : "neon", k->name, count, got, bits(got), want, expected);
                }
            }
        }
        free(w);
        free(x);
    }
    fclose(f);
    for (int i = 0; i < rowCount; i++)
        for (int level = 0; level < 2; level++) {
            int total = counts[i][level][0] + counts[i][level][1];
            if (total)
                printf("%s%s %s: %d/%d identical\n", level ? "dotprod" : "neon", rows == table ? "" : rows == gemvTable ? " gemv" : rows == gemmTable ? " gemm" : " tinyblas", rows[i].name,
                       counts[i][level][1], total);
        }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
