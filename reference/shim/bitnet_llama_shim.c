/*
 * bitnet_llama_shim.c — implementation of bitnet_llama_shim.h over libllama (see that header for the contract).
 *
 * Every entry point validates its arguments before calling into llama.cpp, because some llama.cpp paths
 * (for example an out-of-range token id in token_to_piece) throw C++ exceptions that must never unwind
 * through this C frame; the calls that cannot be pre-validated (load, context creation, decode) catch their
 * own exceptions inside libllama and report failure by return value, which is what we check.
 */
#define _GNU_SOURCE
#include "bitnet_llama_shim.h"

#include "llama.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifndef BITNET_LLAMA_CPP_COMMIT
#define BITNET_LLAMA_CPP_COMMIT "unknown"
#endif
#ifndef BITNET_LLAMA_CPP_BUILD_NUMBER
#define BITNET_LLAMA_CPP_BUILD_NUMBER 0
#endif

struct bitnet_llama_model {
    struct llama_model *model;
    const struct llama_vocab *vocab;
    int32_t n_vocab;
    atomic_int live_contexts;
};

struct bitnet_llama_context {
    bitnet_llama_model *owner;
    struct llama_context *ctx;
    uint32_t n_ctx;
    uint32_t seed;
    int32_t n_past;
    bool needs_reset;          /* set after an aborted or failed decode: KV contents are unknown */
    atomic_bool busy;          /* one call at a time per context */
    atomic_bool abort_request; /* polled by llama.cpp between graph nodes */
};

/* ---- errors and logging ---------------------------------------------------------------------------------- */

static _Thread_local char tl_last_error[1024];
static _Thread_local char tl_llama_error[512];   /* last ERROR-level line llama.cpp logged on this thread */
static _Thread_local int tl_last_log_level = GGML_LOG_LEVEL_INFO;
static atomic_int g_log_level = BITNET_LLAMA_LOG_NONE;
static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;

static int fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(tl_last_error, sizeof tl_last_error, format, args);
    va_end(args);
    return status;
}

static int succeed(void) {
    tl_last_error[0] = '\0';
    return BITNET_LLAMA_OK;
}

static const char *level_name(int level) {
    switch (level) {
    case GGML_LOG_LEVEL_DEBUG: return "debug";
    case GGML_LOG_LEVEL_INFO: return "info";
    case GGML_LOG_LEVEL_WARN: return "warning";
    case GGML_LOG_LEVEL_ERROR: return "error";
    default: return "log";
    }
}

static void on_llama_log(enum ggml_log_level level, const char *text, void *user_data) {
    (void)user_data;
    if (text == NULL) return;
    bool continuation = level == GGML_LOG_LEVEL_CONT;
    int effective = continuation ? tl_last_log_level : (int)level;
    if (!continuation) tl_last_log_level = effective;
    if (effective == GGML_LOG_LEVEL_ERROR) {
        /* Keep the line (without its newline) so failures can say why; continuations are appended. */
        size_t used = continuation ? strlen(tl_llama_error) : 0;
        snprintf(tl_llama_error + used, sizeof tl_llama_error - used, "%s", text);
        size_t n = strlen(tl_llama_error);
        while (n > 0 && (tl_llama_error[n - 1] == '\n' || tl_llama_error[n - 1] == ' ')) tl_llama_error[--n] = '\0';
    }
    if (effective < atomic_load(&g_log_level)) return;
    if (continuation) fputs(text, stderr);
    else fprintf(stderr, "[llama.cpp %s] %s", level_name(effective), text);
}

static int parse_log_level(const char *value) {
    if (value == NULL || value[0] == '\0') return BITNET_LLAMA_LOG_NONE;
    if (!strcasecmp(value, "trace") || !strcasecmp(value, "debug")) return BITNET_LLAMA_LOG_DEBUG;
    if (!strcasecmp(value, "info") || !strcasecmp(value, "notice")) return BITNET_LLAMA_LOG_INFO;
    if (!strcasecmp(value, "warning") || !strcasecmp(value, "warn")) return BITNET_LLAMA_LOG_WARN;
    if (!strcasecmp(value, "error") || !strcasecmp(value, "critical")) return BITNET_LLAMA_LOG_ERROR;
    return BITNET_LLAMA_LOG_NONE;
}

static void initialise_once(void) {
    atomic_store(&g_log_level, parse_log_level(getenv("BITNET_LOG_LEVEL")));
    /* Install the filter before the backend starts so its own start-up lines are filtered too. */
    llama_log_set(on_llama_log, NULL);
    llama_backend_init();
}

void bitnet_llama_backend_init(void) { pthread_once(&g_init_once, initialise_once); }

int bitnet_llama_log_set_level(int32_t level) {
    if (level < BITNET_LLAMA_LOG_DEBUG || level > BITNET_LLAMA_LOG_NONE)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "log level %d is not between %d (debug) and %d (none)",
                    level, BITNET_LLAMA_LOG_DEBUG, BITNET_LLAMA_LOG_NONE);
    atomic_store(&g_log_level, level);
    return succeed();
}

int32_t bitnet_llama_abi_version(void) { return BITNET_LLAMA_SHIM_ABI_VERSION; }
const char *bitnet_llama_last_error(void) { return tl_last_error; }
const char *bitnet_llama_commit(void) { return BITNET_LLAMA_CPP_COMMIT; }
int32_t bitnet_llama_build_number(void) { return BITNET_LLAMA_CPP_BUILD_NUMBER; }

const char *bitnet_llama_system_info(void) {
    bitnet_llama_backend_init();
    const char *info = llama_print_system_info();
    return info != NULL ? info : "";
}

/* ---- model ----------------------------------------------------------------------------------------------- */

int bitnet_llama_model_load(const char *path, bitnet_llama_model **out_model) {
    if (out_model == NULL) return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "out_model is NULL");
    *out_model = NULL;
    if (path == NULL || path[0] == '\0') return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "model path is empty");
    struct stat info;
    if (stat(path, &info) != 0)
        return fail(BITNET_LLAMA_ERR_LOAD_FAILED, "cannot open %s: %s", path, strerror(errno));
    if (!S_ISREG(info.st_mode))
        return fail(BITNET_LLAMA_ERR_LOAD_FAILED, "%s is not a regular file", path);

    bitnet_llama_backend_init();
    bitnet_llama_model *wrapper = calloc(1, sizeof *wrapper);
    if (wrapper == NULL) return fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "out of memory allocating a model handle");

    struct llama_model_params params = llama_model_default_params();
    params.n_gpu_layers = 0; /* the reference is a CPU reference */
    tl_llama_error[0] = '\0';
    wrapper->model = llama_model_load_from_file(path, params);
    if (wrapper->model == NULL) {
        free(wrapper);
        return fail(BITNET_LLAMA_ERR_LOAD_FAILED, "llama.cpp could not load %s: %s", path,
                    tl_llama_error[0] ? tl_llama_error : "no reason logged (set BITNET_LOG_LEVEL=debug)");
    }
    wrapper->vocab = llama_model_get_vocab(wrapper->model);
    wrapper->n_vocab = wrapper->vocab != NULL ? llama_vocab_n_tokens(wrapper->vocab) : 0;
    if (wrapper->n_vocab <= 0) {
        llama_model_free(wrapper->model);
        free(wrapper);
        return fail(BITNET_LLAMA_ERR_LOAD_FAILED, "%s loaded but has no vocabulary", path);
    }
    atomic_init(&wrapper->live_contexts, 0);
    *out_model = wrapper;
    return succeed();
}

int bitnet_llama_model_free(bitnet_llama_model *model) {
    if (model == NULL) return succeed();
    int live = atomic_load(&model->live_contexts);
    if (live != 0)
        return fail(BITNET_LLAMA_ERR_IN_USE, "model still has %d live context(s); free them first", live);
    llama_model_free(model->model);
    free(model);
    return succeed();
}

int32_t bitnet_llama_model_n_vocab(const bitnet_llama_model *model) { return model ? model->n_vocab : 0; }
int32_t bitnet_llama_model_n_ctx_train(const bitnet_llama_model *model) {
    return model ? llama_model_n_ctx_train(model->model) : 0;
}
int32_t bitnet_llama_model_n_embd(const bitnet_llama_model *model) {
    return model ? llama_model_n_embd(model->model) : 0;
}
int32_t bitnet_llama_model_bos(const bitnet_llama_model *model) { return model ? llama_vocab_bos(model->vocab) : -1; }
int32_t bitnet_llama_model_eos(const bitnet_llama_model *model) { return model ? llama_vocab_eos(model->vocab) : -1; }

static bool token_in_range(const bitnet_llama_model *model, int32_t token) {
    return token >= 0 && token < model->n_vocab;
}

int32_t bitnet_llama_model_is_eog(const bitnet_llama_model *model, int32_t token) {
    if (model == NULL || !token_in_range(model, token)) return 0;
    return llama_vocab_is_eog(model->vocab, token) ? 1 : 0;
}

/* ---- tokenizer ------------------------------------------------------------------------------------------- */

/* llama.cpp's two-pass convention: a negative result is minus the needed count. */
static int finish_two_pass(int32_t result, bool query, int32_t *out_count, const char *what) {
    if (result == INT32_MIN) return fail(BITNET_LLAMA_ERR_TOKENIZE_FAILED, "%s: result exceeds INT32_MAX", what);
    if (result >= 0) {
        *out_count = result;
        return succeed();
    }
    *out_count = -result;
    if (query) return succeed();
    return fail(BITNET_LLAMA_ERR_BUFFER_TOO_SMALL, "%s needs %d entries", what, -result);
}

int bitnet_llama_tokenize(const bitnet_llama_model *model, const char *text, int32_t text_len,
                          int32_t add_special, int32_t parse_special,
                          int32_t *tokens, int32_t capacity, int32_t *out_count) {
    if (model == NULL || out_count == NULL || text_len < 0 || (text == NULL && text_len > 0) || capacity < 0)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "tokenize: NULL model/out_count or negative length");
    *out_count = 0;
    bool query = tokens == NULL;
    llama_token scratch[1];
    int32_t result = llama_tokenize(model->vocab, text ? text : "", text_len, query ? scratch : tokens,
                                    query ? 0 : capacity, add_special != 0, parse_special != 0);
    return finish_two_pass(result, query, out_count, "tokenize");
}

int bitnet_llama_token_to_piece(const bitnet_llama_model *model, int32_t token, int32_t special,
                                char *buffer, int32_t capacity, int32_t *out_count) {
    if (model == NULL || out_count == NULL || capacity < 0)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "token_to_piece: NULL model/out_count or negative capacity");
    *out_count = 0;
    if (!token_in_range(model, token))
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "token %d is outside the vocabulary [0, %d)", token,
                    model->n_vocab);
    bool query = buffer == NULL;
    char scratch[1];
    int32_t result = llama_token_to_piece(model->vocab, token, query ? scratch : buffer, query ? 0 : capacity, 0,
                                          special != 0);
    return finish_two_pass(result, query, out_count, "token_to_piece");
}

static int validate_tokens(const bitnet_llama_model *model, const int32_t *tokens, int32_t n_tokens) {
    for (int32_t i = 0; i < n_tokens; i++) {
        if (!token_in_range(model, tokens[i]))
            return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "token %d at index %d is outside the vocabulary [0, %d)",
                        tokens[i], i, model->n_vocab);
    }
    return BITNET_LLAMA_OK;
}

int bitnet_llama_detokenize(const bitnet_llama_model *model, const int32_t *tokens, int32_t n_tokens,
                            int32_t remove_special, int32_t unparse_special,
                            char *buffer, int32_t capacity, int32_t *out_count) {
    if (model == NULL || out_count == NULL || n_tokens < 0 || (tokens == NULL && n_tokens > 0) || capacity < 0)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "detokenize: NULL model/out_count/tokens or negative count");
    *out_count = 0;
    int status = validate_tokens(model, tokens, n_tokens);
    if (status != BITNET_LLAMA_OK) return status;
    if (n_tokens == 0) return succeed();
    bool query = buffer == NULL;
    char scratch[1];
    int32_t result = llama_detokenize(model->vocab, tokens, n_tokens, query ? scratch : buffer, query ? 0 : capacity,
                                      remove_special != 0, unparse_special != 0);
    return finish_two_pass(result, query, out_count, "detokenize");
}

/* ---- context --------------------------------------------------------------------------------------------- */

static bool should_abort(void *data) {
    bitnet_llama_context *context = data;
    return atomic_load(&context->abort_request);
}

/* What every context of the shim sets: one sequence, the thread count (<= 0: llama.cpp's default), no perf counters,
 * and for BITNET_LLAMA_CONTEXT_PRECISE flash attention off with an F32 key/value cache. */
static void apply_common_params(struct llama_context_params *params, int32_t n_threads, uint32_t flags) {
    params->n_seq_max = 1;
    if (n_threads > 0) {
        params->n_threads = n_threads;
        params->n_threads_batch = n_threads;
    }
    params->no_perf = true;
    if (flags & BITNET_LLAMA_CONTEXT_PRECISE) {
        params->flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
        params->type_k = GGML_TYPE_F32;
        params->type_v = GGML_TYPE_F32;
    }
}

int bitnet_llama_context_new(bitnet_llama_model *model, uint32_t n_ctx, int32_t n_threads, uint32_t seed,
                             uint32_t flags, bitnet_llama_context **out_context) {
    if (out_context == NULL) return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "out_context is NULL");
    *out_context = NULL;
    if (model == NULL) return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "model is NULL");
    bitnet_llama_context *context = calloc(1, sizeof *context);
    if (context == NULL) return fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "out of memory allocating a context handle");

    struct llama_context_params params = llama_context_default_params();
    params.n_ctx = n_ctx;
    /* One decode may hold a whole prompt, so the logical batch is the full context; llama.cpp splits it into
     * physical micro-batches of n_ubatch itself. */
    uint32_t effective_ctx = n_ctx != 0 ? n_ctx : (uint32_t)llama_model_n_ctx_train(model->model);
    params.n_batch = effective_ctx;
    params.n_ubatch = effective_ctx < 512 ? effective_ctx : 512;
    apply_common_params(&params, n_threads, flags);
    params.abort_callback = should_abort;
    params.abort_callback_data = context;

    tl_llama_error[0] = '\0';
    context->ctx = llama_init_from_model(model->model, params);
    if (context->ctx == NULL) {
        free(context);
        int status = fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "llama.cpp could not create a context of %u positions: %s",
                          n_ctx, tl_llama_error[0] ? tl_llama_error : "no reason logged (likely out of memory)");
        return status;
    }
    context->owner = model;
    context->n_ctx = llama_n_ctx(context->ctx);
    context->seed = seed;
    atomic_init(&context->busy, false);
    atomic_init(&context->abort_request, false);
    atomic_fetch_add(&model->live_contexts, 1);
    *out_context = context;
    return succeed();
}

static bool acquire(bitnet_llama_context *context) { return !atomic_exchange(&context->busy, true); }
static void release(bitnet_llama_context *context) { atomic_store(&context->busy, false); }

int bitnet_llama_context_free(bitnet_llama_context *context) {
    if (context == NULL) return succeed();
    if (!acquire(context)) return fail(BITNET_LLAMA_ERR_BUSY, "context is in use by another call; free it after");
    atomic_fetch_sub(&context->owner->live_contexts, 1);
    llama_free(context->ctx);
    free(context);
    return succeed();
}

uint32_t bitnet_llama_context_n_ctx(const bitnet_llama_context *context) { return context ? context->n_ctx : 0; }
int32_t bitnet_llama_context_n_past(const bitnet_llama_context *context) { return context ? context->n_past : 0; }

void bitnet_llama_context_request_abort(bitnet_llama_context *context) {
    if (context != NULL) atomic_store(&context->abort_request, true);
}

int bitnet_llama_context_reset(bitnet_llama_context *context) {
    if (context == NULL) return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "context is NULL");
    if (!acquire(context)) return fail(BITNET_LLAMA_ERR_BUSY, "context is in use by another call");
    llama_memory_clear(llama_get_memory(context->ctx), true);
    context->n_past = 0;
    context->needs_reset = false;
    atomic_store(&context->abort_request, false);
    release(context);
    return succeed();
}

/* Decodes tokens at n_past.. with the context already acquired. Output rows: all positions or the last. */
static int decode_acquired(bitnet_llama_context *context, const int32_t *tokens, int32_t n_tokens, bool all_logits) {
    if (context->needs_reset)
        return fail(BITNET_LLAMA_ERR_DECODE_FAILED, "an earlier eval was aborted or failed; reset the context first");
    int status = validate_tokens(context->owner, tokens, n_tokens);
    if (status != BITNET_LLAMA_OK) return status;
    if ((int64_t)context->n_past + n_tokens > (int64_t)context->n_ctx)
        return fail(BITNET_LLAMA_ERR_CONTEXT_OVERFLOW, "%d token(s) after %d evaluated position(s) exceed n_ctx %u",
                    n_tokens, context->n_past, context->n_ctx);

    struct llama_batch batch = llama_batch_init(n_tokens, 0, 1);
    if (batch.token == NULL || batch.pos == NULL || batch.seq_id == NULL || batch.logits == NULL) {
        llama_batch_free(batch);
        return fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "out of memory allocating a batch of %d tokens", n_tokens);
    }
    for (int32_t i = 0; i < n_tokens; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = context->n_past + i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = (int8_t)(all_logits || i == n_tokens - 1);
    }
    batch.n_tokens = n_tokens;
    tl_llama_error[0] = '\0';
    int32_t result = llama_decode(context->ctx, batch);
    llama_batch_free(batch);

    switch (result) {
    case 0:
        context->n_past += n_tokens;
        return BITNET_LLAMA_OK;
    case 1: /* no KV slot: the memory state is restored, so the context stays usable */
        return fail(BITNET_LLAMA_ERR_CONTEXT_OVERFLOW, "no KV-cache slot for %d token(s) at position %d (n_ctx %u)",
                    n_tokens, context->n_past, context->n_ctx);
    case 2:
        context->needs_reset = true;
        return fail(BITNET_LLAMA_ERR_ABORTED, "eval aborted on request; reset the context before reuse");
    case -1:
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "llama_decode rejected the batch: %s", tl_llama_error);
    default:
        context->needs_reset = true;
        return fail(BITNET_LLAMA_ERR_DECODE_FAILED, "llama_decode returned %d: %s", result,
                    tl_llama_error[0] ? tl_llama_error : "no reason logged");
    }
}

int bitnet_llama_eval(bitnet_llama_context *context, const int32_t *tokens, int32_t n_tokens,
                      int32_t all_logits, float *logits, int64_t capacity, int32_t *out_rows) {
    if (context == NULL || tokens == NULL || n_tokens <= 0 || out_rows == NULL || capacity < 0)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "eval: NULL context/tokens/out_rows or no tokens");
    int32_t rows = all_logits ? n_tokens : 1;
    int32_t n_vocab = context->owner->n_vocab;
    *out_rows = rows;
    if (logits != NULL && capacity < (int64_t)rows * n_vocab)
        return fail(BITNET_LLAMA_ERR_BUFFER_TOO_SMALL, "eval needs %lld floats for %d row(s) of %d logits",
                    (long long)rows * n_vocab, rows, n_vocab);
    if (!acquire(context)) return fail(BITNET_LLAMA_ERR_BUSY, "context is in use by another call");
    atomic_store(&context->abort_request, false); /* a request left over from a finished call must not apply */

    int status = decode_acquired(context, tokens, n_tokens, all_logits != 0);
    for (int32_t row = 0; status == BITNET_LLAMA_OK && logits != NULL && row < rows; row++) {
        int32_t batch_index = all_logits ? row : n_tokens - 1;
        const float *source = llama_get_logits_ith(context->ctx, batch_index);
        if (source == NULL) {
            status = fail(BITNET_LLAMA_ERR_DECODE_FAILED, "llama.cpp returned no logits for position %d", batch_index);
            break;
        }
        /* rows * n_vocab <= capacity was checked above, so this row fits. */
        memcpy(logits + (int64_t)row * n_vocab, source, sizeof(float) * (size_t)n_vocab);
    }
    release(context);
    return status == BITNET_LLAMA_OK ? succeed() : status;
}

static int32_t arg_max(const float *values, int32_t count) {
    int32_t best = 0;
    for (int32_t i = 1; i < count; i++) {
        if (values[i] > values[best]) best = i; /* strict: the lowest id wins ties */
    }
    return best;
}

int bitnet_llama_greedy(bitnet_llama_context *context, const int32_t *prompt, int32_t n_prompt,
                        int32_t n_steps, int32_t stop_at_eog, int32_t *out_tokens, int32_t *out_count) {
    if (context == NULL || prompt == NULL || n_prompt <= 0 || n_steps < 0 || out_count == NULL ||
        (out_tokens == NULL && n_steps > 0))
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "greedy: NULL argument, empty prompt or negative steps");
    *out_count = 0;
    /* The last generated token is never evaluated, so n_steps - 1 positions follow the prompt. */
    int64_t needed = (int64_t)context->n_past + n_prompt + (n_steps > 0 ? n_steps - 1 : 0);
    if (needed > (int64_t)context->n_ctx)
        return fail(BITNET_LLAMA_ERR_CONTEXT_OVERFLOW, "prompt of %d and %d step(s) after %d position(s) exceed n_ctx %u",
                    n_prompt, n_steps, context->n_past, context->n_ctx);
    if (!acquire(context)) return fail(BITNET_LLAMA_ERR_BUSY, "context is in use by another call");
    atomic_store(&context->abort_request, false); /* a request left over from a finished call must not apply */

    int status = decode_acquired(context, prompt, n_prompt, false);
    int32_t n_vocab = context->owner->n_vocab;
    for (int32_t step = 0; status == BITNET_LLAMA_OK && step < n_steps; step++) {
        const float *logits = llama_get_logits_ith(context->ctx, -1);
        if (logits == NULL) {
            status = fail(BITNET_LLAMA_ERR_DECODE_FAILED, "llama.cpp returned no logits at step %d", step);
            break;
        }
        int32_t next = arg_max(logits, n_vocab);
        out_tokens[step] = next; /* step < n_steps, the documented size of out_tokens */
        *out_count = step + 1;
        bool done = step + 1 == n_steps || (stop_at_eog && llama_vocab_is_eog(context->owner->vocab, next));
        if (done) break;
        status = decode_acquired(context, &next, 1, false);
    }
    release(context);
    return status == BITNET_LLAMA_OK ? succeed() : status;
}

/* ---- embeddings ------------------------------------------------------------------------------------------ */

int bitnet_llama_embed(bitnet_llama_model *model, const int32_t *tokens, int32_t n_tokens, int32_t pooling,
                       int32_t n_threads, uint32_t flags, float *out, int64_t capacity, int32_t *out_rows,
                       int32_t *out_pooling) {
    if (model == NULL || tokens == NULL || n_tokens <= 0 || out_rows == NULL || out_pooling == NULL || capacity < 0)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "embed: NULL model/tokens/out_rows/out_pooling or no tokens");
    if (pooling < BITNET_LLAMA_POOLING_MODEL || pooling > BITNET_LLAMA_POOLING_LAST)
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "embed: pooling %d is not -1 (model), 0, 1, 2 or 3", pooling);
    int status = validate_tokens(model, tokens, n_tokens);
    if (status != BITNET_LLAMA_OK) return status;
    *out_rows = 0;
    *out_pooling = BITNET_LLAMA_POOLING_NONE;

    struct llama_context_params params = llama_context_default_params();
    params.n_ctx = (uint32_t)n_tokens;
    params.n_batch = (uint32_t)n_tokens; /* pooling needs the whole sequence in one micro-batch */
    params.n_ubatch = (uint32_t)n_tokens;
    params.embeddings = true;
    params.pooling_type = pooling == BITNET_LLAMA_POOLING_MODEL ? LLAMA_POOLING_TYPE_UNSPECIFIED
                                                                : (enum llama_pooling_type)pooling;
    apply_common_params(&params, n_threads, flags);
    tl_llama_error[0] = '\0';
    struct llama_context *ctx = llama_init_from_model(model->model, params);
    if (ctx == NULL)
        return fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "llama.cpp could not create an embedding context of %d tokens: %s",
                    n_tokens, tl_llama_error[0] ? tl_llama_error : "no reason logged (likely out of memory)");
    int32_t applied = (int32_t)llama_pooling_type(ctx);
    int32_t n_embd = llama_model_n_embd(model->model);
    int32_t rows = applied == BITNET_LLAMA_POOLING_NONE ? n_tokens : 1;
    *out_pooling = applied;
    *out_rows = rows;
    if (out != NULL && capacity < (int64_t)rows * n_embd) {
        llama_free(ctx);
        return fail(BITNET_LLAMA_ERR_BUFFER_TOO_SMALL, "embed needs %lld floats for %d row(s) of %d",
                    (long long)rows * n_embd, rows, n_embd);
    }

    struct llama_batch batch = llama_batch_init(n_tokens, 0, 1);
    if (batch.token == NULL || batch.pos == NULL || batch.seq_id == NULL || batch.logits == NULL) {
        llama_batch_free(batch);
        llama_free(ctx);
        return fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "out of memory allocating a batch of %d tokens", n_tokens);
    }
    for (int32_t i = 0; i < n_tokens; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n_tokens;
    int32_t result = llama_decode(ctx, batch);
    llama_batch_free(batch);
    if (result != 0) {
        llama_free(ctx);
        return fail(BITNET_LLAMA_ERR_DECODE_FAILED, "llama_decode returned %d for the embedding batch: %s", result,
                    tl_llama_error[0] ? tl_llama_error : "no reason logged");
    }
    for (int32_t row = 0; out != NULL && row < rows; row++) {
        const float *source = applied == BITNET_LLAMA_POOLING_NONE ? llama_get_embeddings_ith(ctx, row)
                                                                   : llama_get_embeddings_seq(ctx, 0);
        if (source == NULL) {
            llama_free(ctx);
            return fail(BITNET_LLAMA_ERR_DECODE_FAILED, "llama.cpp returned no embedding for row %d", row);
        }
        memcpy(out + (int64_t)row * n_embd, source, sizeof(float) * (size_t)n_embd);
    }
    llama_free(ctx);
    return succeed();
}

/* ---- chat templates -------------------------------------------------------------------------------------- */

int bitnet_llama_chat_apply(const char *tmpl, const char *const *roles, const char *const *contents, int32_t n_messages,
                            int32_t add_assistant, char *buffer, int32_t capacity, int32_t *out_count) {
    if (tmpl == NULL || out_count == NULL || n_messages < 0 || capacity < 0 ||
        (n_messages > 0 && (roles == NULL || contents == NULL)))
        return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "chat_apply: NULL template/out_count/messages or negative count");
    struct llama_chat_message *chat = calloc((size_t)(n_messages > 0 ? n_messages : 1), sizeof *chat);
    if (chat == NULL) return fail(BITNET_LLAMA_ERR_OUT_OF_MEMORY, "out of memory for %d messages", n_messages);
    for (int32_t i = 0; i < n_messages; i++) {
        chat[i].role = roles[i];
        chat[i].content = contents[i];
    }
    int32_t n = llama_chat_apply_template(tmpl, chat, (size_t)n_messages, add_assistant != 0, buffer, capacity);
    free(chat);
    if (n < 0) return fail(BITNET_LLAMA_ERR_INVALID_ARGUMENT, "llama.cpp recognises no chat template in the given text");
    *out_count = n;
    if (buffer != NULL && n > capacity)
        return fail(BITNET_LLAMA_ERR_BUFFER_TOO_SMALL, "chat_apply needs %d bytes, got %d", n, capacity);
    return succeed();
}
