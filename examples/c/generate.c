/*
 * Streams a greedy continuation of a prompt through the bitnet-swift C API.
 *
 * Build (from the repository root, after `swift build -c release --product BitNetC`):
 *   cc -std=c99 -Wall -Iinclude examples/c/generate.c -L.build/release -lBitNetC -Wl,-rpath,$PWD/.build/release -o generate
 * Run:
 *   ./generate ~/.cache/bitnet-swift/models/<sha256>/model.gguf "The capital of France is" 32
 */
#include "bitnet.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, bitnet_error err) {
    fprintf(stderr, "%s: %s (%s)\n", what, bitnet_error_message(err), bitnet_last_error_detail());
    return 1;
}

int main(int argc, char **argv) {
    bitnet_error err = BITNET_OK;
    bitnet_sampling sampling = {0}; /* all zeros: greedy */
    bitnet_context *ctx;
    bitnet_model *model;
    bitnet_inference *inf;
    bool done = false;
    char piece[256];
    int32_t api = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [N_TOKENS]\n", argv[0]);
        return 2;
    }
    bitnet_version(&api);
    if (api != BITNET_API_VERSION) return fail("library and header disagree on the API version", BITNET_ERR_UNSUPPORTED);
    sampling.max_tokens = argc > 3 ? atoi(argv[3]) : 32;

    ctx = bitnet_init(NULL, &err); /* NULL params: default threads and context length */
    if (ctx == NULL) return fail("bitnet_init", err);
    model = bitnet_model_load(ctx, argv[1], &err);
    if (model == NULL) {
        bitnet_destroy(ctx);
        return fail("bitnet_model_load", err);
    }
    inf = bitnet_inference_start(model, argv[2], &sampling, &err);
    if (inf == NULL) {
        bitnet_destroy(ctx); /* also frees the model */
        return fail("bitnet_inference_start", err);
    }
    fputs(argv[2], stdout);
    while (!done) {
        /* A piece longer than the buffer reports BITNET_ERR_BUFFER_TOO_SMALL and is kept for a bigger buffer;
         * 256 bytes holds any token of the usual vocabularies. */
        bitnet_inference_next_token(inf, piece, sizeof piece, NULL, &done, &err);
        if (err != BITNET_OK) {
            bitnet_destroy(ctx);
            return fail("bitnet_inference_next_token", err);
        }
        fputs(piece, stdout);
        fflush(stdout);
    }
    putchar('\n');
    bitnet_destroy(ctx); /* frees the model and the inference with it */
    return 0;
}
