/*
 * The C API's C test: streams greedy tokens from a model and exercises every error path.
 *   capi_test MODEL PROMPT N_TOKENS
 * Prints "TOKENS id id ..." and "TEXT <hex bytes>" for the Swift test to compare with Generator's output;
 * exits 1 after printing every failed check. Compiled by Tests/BitNetCTests with -std=c99 -pedantic -Werror,
 * and run under valgrind by scripts/valgrind-capi.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include "bitnet.h"
#include "bitnet.h" /* including twice must be harmless */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s (detail: %s)\n", __FILE__, __LINE__, #cond,            \
                    bitnet_last_error_detail());                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Every call taking a NULL handle (or NULL required pointer) returns an error code and does not crash. */
static void null_handles(void) {
    bitnet_error err = -1;
    bitnet_model_description d;
    int32_t tok = 0;
    bool done = false;
    char buf[8];
    CHECK(bitnet_destroy(NULL) == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_model_load(NULL, "x.gguf", &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(strlen(bitnet_last_error_detail()) > 0);
    CHECK(bitnet_model_load(NULL, NULL, NULL) == NULL); /* NULL err pointer too */
    CHECK(bitnet_model_free(NULL) == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_model_info(NULL, &d) == BITNET_ERR_INVALID_ARGUMENT);
    err = -1;
    CHECK(bitnet_model_memory_bytes(NULL, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_inference_start(NULL, "hi", NULL, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_inference_next_token(NULL, buf, sizeof buf, &tok, &done, &err) == 0 &&
          err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_inference_next_token(NULL, NULL, 0, NULL, NULL, NULL) == 0);
    CHECK(bitnet_inference_free(NULL) == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_tokenize(NULL, "hi", true, false, NULL, 0, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_detokenize(NULL, NULL, 0, buf, sizeof buf, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_check_health(NULL) == BITNET_ERR_INVALID_ARGUMENT);
    /* Forged handles are not in the registry. */
    CHECK(bitnet_destroy((bitnet_context *)(uintptr_t)0xB17B17) == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_model_free((bitnet_model *)(uintptr_t)0xB17B17) == BITNET_ERR_INVALID_HANDLE);
}

static void errors_and_version(void) {
    int32_t api = 0;
    int code;
    /* The layouts the library reads and writes (documented offsets in the header). */
    CHECK(sizeof(bitnet_params) == 8 && offsetof(bitnet_params, n_ctx) == 4);
    CHECK(sizeof(bitnet_sampling) == 32 && offsetof(bitnet_sampling, max_tokens) == 20 &&
          offsetof(bitnet_sampling, seed) == 24);
    CHECK(sizeof(bitnet_model_description) == 64 && offsetof(bitnet_model_description, n_params) == 32 &&
          offsetof(bitnet_model_description, n_embd) == 60);
    CHECK(bitnet_version(&api) != NULL && api == BITNET_API_VERSION);
    CHECK(bitnet_version(NULL) != NULL);
    for (code = BITNET_OK; code <= BITNET_ERR_BUFFER_TOO_SMALL; code++) {
        CHECK(bitnet_error_message(code) != NULL && strcmp(bitnet_error_message(code), "unknown error code") != 0);
    }
    CHECK(strcmp(bitnet_error_message(999), "unknown error code") == 0);
    CHECK(strcmp(bitnet_error_message(-1), "unknown error code") == 0);
}

static void bad_contexts_and_paths(const char *model_path) {
    bitnet_error err = -1;
    bitnet_params params;
    bitnet_context *ctx;
    char bad_path[] = "/tmp/bitnet-capi-bad-XXXXXX";
    int fd;

    memset(&params, 0, sizeof params);
    params.n_threads = -1;
    CHECK(bitnet_init(&params, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    params.n_threads = 0;
    params.n_ctx = 1 << 24;
    CHECK(bitnet_init(&params, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);

    /* A context longer than the model's training context is refused at load. */
    params.n_ctx = 1 << 20;
    ctx = bitnet_init(&params, &err);
    CHECK(ctx != NULL && err == BITNET_OK);
    CHECK(bitnet_model_load(ctx, model_path, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_destroy(ctx) == BITNET_OK);

    ctx = bitnet_init(NULL, &err);
    CHECK(ctx != NULL && err == BITNET_OK);
    CHECK(bitnet_model_load(ctx, NULL, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_model_load(ctx, "/nonexistent/model.gguf", &err) == NULL && err == BITNET_ERR_FILE_NOT_FOUND);
    CHECK(strstr(bitnet_last_error_detail(), "/nonexistent/model.gguf") != NULL);
    fd = mkstemp(bad_path);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, "this is not a GGUF file", 23) == 23);
        close(fd);
        CHECK(bitnet_model_load(ctx, bad_path, &err) == NULL && err == BITNET_ERR_INVALID_MODEL);
        unlink(bad_path);
    }
    CHECK(bitnet_check_health(ctx) == BITNET_OK);
    CHECK(strcmp(bitnet_last_error_detail(), "") == 0);
    CHECK(bitnet_destroy(ctx) == BITNET_OK);
    /* Use after free. */
    CHECK(bitnet_destroy(ctx) == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_model_load(ctx, model_path, &err) == NULL && err == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_check_health(ctx) == BITNET_ERR_INVALID_HANDLE);
}

static void model_queries(bitnet_model *model, const char *prompt) {
    bitnet_error err = -1;
    bitnet_model_description d;
    uint64_t resident;
    size_t n, len;
    int32_t *tokens;
    int32_t bad[2] = {-5, 1000000000};
    char *text;

    CHECK(bitnet_model_info(model, NULL) == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_model_info(model, &d) == BITNET_OK);
    CHECK(strcmp(d.architecture, "llama") == 0);
    CHECK(d.n_params > 0 && d.n_bytes > 0 && d.n_ctx_train > 0 && d.n_vocab > 0 && d.n_layer > 0 && d.n_embd > 0);
    resident = bitnet_model_memory_bytes(model, &err);
    CHECK(err == BITNET_OK && resident > 0 && resident <= d.n_bytes);

    /* Tokenize: count first, then a buffer one too small, then the right size. */
    n = bitnet_tokenize(model, prompt, false, false, NULL, 0, &err);
    CHECK(err == BITNET_ERR_BUFFER_TOO_SMALL && n > 1);
    tokens = (int32_t *)calloc(n, sizeof *tokens);
    CHECK(bitnet_tokenize(model, prompt, false, false, tokens, n - 1, &err) == n && err == BITNET_ERR_BUFFER_TOO_SMALL);
    CHECK(bitnet_tokenize(model, prompt, false, false, tokens, n, &err) == n && err == BITNET_OK);
    CHECK(bitnet_tokenize(model, NULL, false, false, tokens, n, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);

    /* Detokenize: the length, a buffer without room for the NUL, then the right size; the text round-trips. */
    len = bitnet_detokenize(model, tokens, n, NULL, 0, &err);
    CHECK(err == BITNET_ERR_BUFFER_TOO_SMALL && len == strlen(prompt));
    text = (char *)malloc(len + 1);
    CHECK(bitnet_detokenize(model, tokens, n, text, len, &err) == len && err == BITNET_ERR_BUFFER_TOO_SMALL);
    CHECK(bitnet_detokenize(model, tokens, n, text, len + 1, &err) == len && err == BITNET_OK);
    CHECK(strcmp(text, prompt) == 0);
    CHECK(bitnet_detokenize(model, bad, 1, text, len + 1, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_detokenize(model, bad + 1, 1, text, len + 1, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);
    CHECK(bitnet_detokenize(model, NULL, 3, text, len + 1, &err) == 0 && err == BITNET_ERR_INVALID_ARGUMENT);
    free(text);
    free(tokens);
}

/* Streams up to `max_tokens` tokens, asking for each piece's size first (two-pass), and prints the ids and
 * the text's bytes. Returns the number of tokens. */
static int stream(bitnet_model *model, const char *prompt, const bitnet_sampling *sampling, int32_t *ids,
                  int max_ids, int print) {
    bitnet_error err = -1;
    bitnet_inference *inf = bitnet_inference_start(model, prompt, sampling, &err);
    int count = 0, i;
    bool done = false;
    char small[1];
    CHECK(inf != NULL && err == BITNET_OK);
    if (inf == NULL) return 0;
    if (print) printf("TEXT ");
    while (!done) {
        int32_t tok = -2;
        size_t need = bitnet_inference_next_token(inf, NULL, 0, &tok, &done, &err);
        char *buf;
        CHECK(err == BITNET_ERR_BUFFER_TOO_SMALL && tok == -2);
        CHECK(bitnet_inference_next_token(inf, small, 0, &tok, &done, &err) == need);
        if (need > 0) {
            CHECK(bitnet_inference_next_token(inf, small, sizeof small, &tok, &done, &err) == need);
            CHECK(err == BITNET_ERR_BUFFER_TOO_SMALL);
        }
        buf = (char *)malloc(need + 1);
        CHECK(bitnet_inference_next_token(inf, buf, need + 1, &tok, &done, &err) == need && err == BITNET_OK);
        CHECK(strlen(buf) == need);
        if (print) for (i = 0; i < (int)need; i++) printf("%02x", (unsigned char)buf[i]);
        free(buf);
        if (tok >= 0 && count < max_ids) ids[count++] = tok;
        CHECK(tok >= 0 || done);
        if (count > 100000) break;
    }
    if (print) printf("\n");
    /* After the end: empty, done, OK. */
    {
        int32_t tok = 7;
        char buf[4];
        done = false;
        CHECK(bitnet_inference_next_token(inf, buf, sizeof buf, &tok, &done, &err) == 0 && done && err == BITNET_OK);
    }
    CHECK(bitnet_inference_free(inf) == BITNET_OK);
    return count;
}

static void inference_errors(bitnet_context *ctx, bitnet_model *model, const char *prompt) {
    bitnet_error err = -1;
    bitnet_sampling s;
    bitnet_inference *inf;
    int32_t a[8], b[8];
    int na, nb, i;
    char buf[64];

    memset(&s, 0, sizeof s);
    CHECK(bitnet_inference_start(model, NULL, &s, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    s.top_p = 2.0f;
    CHECK(bitnet_inference_start(model, prompt, &s, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    s.top_p = 0;
    s.max_tokens = -3;
    CHECK(bitnet_inference_start(model, prompt, &s, &err) == NULL && err == BITNET_ERR_INVALID_ARGUMENT);
    s.max_tokens = 1 << 30;
    CHECK(bitnet_inference_start(model, prompt, &s, &err) == NULL && err == BITNET_ERR_CONTEXT_OVERFLOW);

    /* Sampled decoding is reproducible from its seed. */
    s.max_tokens = 8;
    s.temperature = 0.8f;
    s.top_k = 40;
    s.top_p = 0.95f;
    s.seed = 42;
    na = stream(model, prompt, &s, a, 8, 0);
    nb = stream(model, prompt, &s, b, 8, 0);
    CHECK(na == nb && na > 0);
    for (i = 0; i < na && i < nb; i++) CHECK(a[i] == b[i]);

    /* Use after free, double free, wrong-kind handles. */
    inf = bitnet_inference_start(model, prompt, NULL, &err);
    CHECK(inf != NULL && err == BITNET_OK);
    CHECK(bitnet_check_health(ctx) == BITNET_OK);
    CHECK(bitnet_inference_free(inf) == BITNET_OK);
    CHECK(bitnet_inference_free(inf) == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_inference_next_token(inf, buf, sizeof buf, NULL, NULL, &err) == 0 && err == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_inference_next_token((bitnet_inference *)model, buf, sizeof buf, NULL, NULL, &err) == 0 &&
          err == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_model_info((const bitnet_model *)ctx, NULL) == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_destroy((bitnet_context *)model) == BITNET_ERR_INVALID_HANDLE);
}

/* Freeing a parent invalidates its children; a context of 24 positions ends generation when full. */
static void lifetimes(const char *model_path, const char *prompt) {
    bitnet_error err = -1;
    bitnet_params params;
    bitnet_context *ctx;
    bitnet_model *model, *second;
    bitnet_inference *inf;
    int32_t ids[64];
    size_t prompt_tokens;
    int n;
    char buf[64];

    memset(&params, 0, sizeof params);
    params.n_ctx = 24;
    params.n_threads = 1;
    ctx = bitnet_init(&params, &err);
    model = bitnet_model_load(ctx, model_path, &err);
    CHECK(model != NULL && err == BITNET_OK);
    prompt_tokens = bitnet_tokenize(model, prompt, true, false, NULL, 0, &err);
    n = stream(model, prompt, NULL, ids, 64, 0);
    CHECK(n == 24 - (int)prompt_tokens + 1);

    inf = bitnet_inference_start(model, prompt, NULL, &err);
    CHECK(inf != NULL);
    CHECK(bitnet_model_free(model) == BITNET_OK);
    CHECK(bitnet_inference_next_token(inf, buf, sizeof buf, NULL, NULL, &err) == 0 && err == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_inference_free(inf) == BITNET_ERR_INVALID_HANDLE);
    CHECK(bitnet_model_free(model) == BITNET_ERR_INVALID_HANDLE);

    second = bitnet_model_load(ctx, model_path, &err);
    CHECK(second != NULL);
    CHECK(bitnet_destroy(ctx) == BITNET_OK);
    CHECK(bitnet_model_memory_bytes(second, &err) == 0 && err == BITNET_ERR_INVALID_HANDLE);
}

int main(int argc, char **argv) {
    bitnet_error err = -1;
    bitnet_context *ctx;
    bitnet_model *model;
    bitnet_sampling greedy;
    int32_t ids[256];
    int n, i, want;

    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL PROMPT N_TOKENS\n", argv[0]);
        return 2;
    }
    want = atoi(argv[3]);
    if (want < 1 || want > 256) want = 16;
    errors_and_version();
    null_handles();
    bad_contexts_and_paths(argv[1]);

    ctx = bitnet_init(NULL, &err);
    CHECK(ctx != NULL && err == BITNET_OK);
    model = bitnet_model_load(ctx, argv[1], &err);
    CHECK(model != NULL && err == BITNET_OK);
    if (model == NULL) return 1;
    model_queries(model, argv[2]);

    memset(&greedy, 0, sizeof greedy);
    greedy.max_tokens = want;
    n = stream(model, argv[2], &greedy, ids, 256, 1);
    printf("TOKENS");
    for (i = 0; i < n; i++) printf(" %d", ids[i]);
    printf("\n");

    inference_errors(ctx, model, argv[2]);
    CHECK(bitnet_check_health(ctx) == BITNET_OK);
    CHECK(bitnet_model_free(model) == BITNET_OK);
    CHECK(bitnet_destroy(ctx) == BITNET_OK);
    lifetimes(argv[1], argv[2]);

    if (failures > 0) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    fprintf(stderr, "capi_test: all checks passed\n");
    return 0;
}
