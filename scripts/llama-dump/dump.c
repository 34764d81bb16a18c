// Writes every F32 intermediate tensor llama.cpp computes for one prompt (its graph callback, cb_eval), so our
// forward pass can be compared with it operation by operation. Built and run by scripts/dump-llama-tensors.sh.
//
// usage: dump MODEL default|precise OUTDIR [NAME_SUFFIX] [EXTRA_TOKENS]
//   default: flash attention auto, F16 cache (what llama-cli runs); precise: flash attention off, F32 cache.
//   NAME_SUFFIX keeps only tensors whose name ends with it (e.g. "-0" for layer 0); "" keeps all.
//   EXTRA_TOKENS > 0 decodes that many fixed tokens one at a time after the prompt and dumps only the last step.
// The prompt is read from the PROMPT environment variable. OUTDIR gets tNNN.bin (raw F32), index.txt
// ("NNN name ne0 ne1 ne2 ne3 cont=0|1") and tokens.txt (the prompt's token ids).
#include "llama.h"
#include "ggml.h"
#include "ggml-backend.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int counter = 0, active = 1;
static FILE *index_file;
static const char *suffix = "", *outdir = ".";

static bool on_tensor(struct ggml_tensor *t, bool ask, void *user_data) {
    (void)user_data;
    const char *name = ggml_get_name(t);
    size_t n = strlen(name), s = strlen(suffix);
    bool wanted = t->type == GGML_TYPE_F32 && (s == 0 || (n >= s && strcmp(name + n - s, suffix) == 0));
    if (ask) return wanted;
    if (!wanted || !active) return true;
    size_t bytes = ggml_nbytes(t);
    float *data = malloc(bytes);
    if (!data) return true;
    ggml_backend_tensor_get(t, data, 0, bytes);
    char path[4096];
    snprintf(path, sizeof path, "%s/t%03d.bin", outdir, counter);
    FILE *f = fopen(path, "wb");
    if (f) { fwrite(data, 1, bytes, f); fclose(f); }
    fprintf(index_file, "%03d %s %lld %lld %lld %lld cont=%d\n", counter, name, (long long)t->ne[0],
            (long long)t->ne[1], (long long)t->ne[2], (long long)t->ne[3], ggml_is_contiguous(t));
    counter++;
    free(data);
    return true;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s MODEL default|precise OUTDIR [NAME_SUFFIX] [EXTRA_TOKENS]\n", argv[0]); return 2; }
    outdir = argv[3];
    if (argc > 4) suffix = argv[4];
    int extra = argc > 5 ? atoi(argv[5]) : 0;
    const char *text = getenv("PROMPT") ? getenv("PROMPT") : "The capital of France is";
    llama_backend_init();
    struct llama_model *model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 512; cp.n_batch = 512; cp.n_ubatch = 512; cp.n_threads = 1; cp.n_threads_batch = 1;
    if (strcmp(argv[2], "precise") == 0) {
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        cp.type_k = GGML_TYPE_F32;
        cp.type_v = GGML_TYPE_F32;
    }
    cp.cb_eval = on_tensor;
    char path[4096];
    snprintf(path, sizeof path, "%s/index.txt", outdir);
    index_file = fopen(path, "w");
    if (!index_file) { fprintf(stderr, "cannot write %s\n", path); return 1; }
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }
    llama_token tokens[512];
    int n = llama_tokenize(llama_model_get_vocab(model), text, (int)strlen(text), tokens, 512, true, false);
    if (n < 0) { fprintf(stderr, "prompt longer than 512 tokens\n"); return 1; }
    snprintf(path, sizeof path, "%s/tokens.txt", outdir);
    FILE *tf = fopen(path, "w");
    for (int i = 0; tf && i < n; i++) fprintf(tf, "%d\n", tokens[i]);
    if (tf) fclose(tf);
    active = extra == 0;
    int status = llama_decode(ctx, llama_batch_get_one(tokens, n));
    for (int i = 0; i < extra && status == 0; i++) {
        active = i == extra - 1;
        llama_token t = tokens[i % n];
        status = llama_decode(ctx, llama_batch_get_one(&t, 1));
    }
    fclose(index_file);
    printf("%d prompt tokens, %d tensors written to %s (decode status %d)\n", n, counter, outdir, status);
    llama_free(ctx);
    llama_model_free(model);
    return status == 0 ? 0 : 1;
}
