/*
 * bitnet_llama_shim.h — a small, stable C ABI over libllama, used by the Swift `LlamaReference` module.
 *
 * Why a shim: llama.h changes often and passes structs by value; Swift loads this library with dlopen and
 * resolves a fixed set of symbols whose signatures only change together with BITNET_LLAMA_SHIM_ABI_VERSION.
 *
 * Conventions
 *  - Handles are opaque. Every function that can fail returns an int status: BITNET_LLAMA_OK (0) or one of the
 *    negative BITNET_LLAMA_ERR_* codes below; the detail is in bitnet_llama_last_error() on the same thread.
 *  - Two-pass queries (tokenize, detokenize, token_to_piece): pass a NULL buffer to learn the needed count in
 *    *out_count; a non-NULL buffer that is too small returns BITNET_LLAMA_ERR_BUFFER_TOO_SMALL and still sets
 *    *out_count to the needed count.
 *  - A context is single-threaded: a call that finds another call running on the same context returns
 *    BITNET_LLAMA_ERR_BUSY instead of racing it.
 *  - A model must outlive its contexts: bitnet_llama_model_free refuses (BITNET_LLAMA_ERR_IN_USE) while any
 *    context created from it is alive.
 */
#ifndef BITNET_LLAMA_SHIM_H
#define BITNET_LLAMA_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature, a status code or a semantic of this header changes. */
#define BITNET_LLAMA_SHIM_ABI_VERSION 4

enum bitnet_llama_status {
    BITNET_LLAMA_OK = 0,
    BITNET_LLAMA_ERR_INVALID_ARGUMENT = -1,
    BITNET_LLAMA_ERR_LOAD_FAILED = -2,
    BITNET_LLAMA_ERR_CONTEXT_OVERFLOW = -3,
    BITNET_LLAMA_ERR_DECODE_FAILED = -4,
    BITNET_LLAMA_ERR_BUFFER_TOO_SMALL = -5,
    BITNET_LLAMA_ERR_OUT_OF_MEMORY = -6,
    BITNET_LLAMA_ERR_TOKENIZE_FAILED = -7,
    BITNET_LLAMA_ERR_ABORTED = -8,
    BITNET_LLAMA_ERR_BUSY = -9,
    BITNET_LLAMA_ERR_IN_USE = -10,
};

/* Log levels for bitnet_llama_log_set_level, least to most severe. */
enum bitnet_llama_log_level {
    BITNET_LLAMA_LOG_DEBUG = 1,
    BITNET_LLAMA_LOG_INFO = 2,
    BITNET_LLAMA_LOG_WARN = 3,
    BITNET_LLAMA_LOG_ERROR = 4,
    BITNET_LLAMA_LOG_NONE = 5,
};

typedef struct bitnet_llama_model bitnet_llama_model;
typedef struct bitnet_llama_context bitnet_llama_context;

/* ---- library ------------------------------------------------------------------------------------------- */

/* BITNET_LLAMA_SHIM_ABI_VERSION as compiled into this library. */
int32_t bitnet_llama_abi_version(void);
/* Text of the last error on the calling thread ("" when none). Valid until the next shim call on this thread. */
const char *bitnet_llama_last_error(void);
/* Initialises the llama.cpp backend once per process and routes its log through the level filter. The level
 * starts from the BITNET_LOG_LEVEL environment variable (trace|debug|info|notice|warning|error|critical|none);
 * unset means quiet (nothing printed). Safe to call repeatedly and from any thread. */
void bitnet_llama_backend_init(void);
/* Changes the level below which llama.cpp log lines are dropped. Printed lines go to stderr, prefixed with
 * "[llama.cpp <level>]". Returns BITNET_LLAMA_ERR_INVALID_ARGUMENT for an unknown level. */
int bitnet_llama_log_set_level(int32_t level);
/* The llama.cpp commit the shim was built against (e.g. "0c1e570"), and its build number. */
const char *bitnet_llama_commit(void);
int32_t bitnet_llama_build_number(void);
/* llama.cpp's own description of the CPU features it was compiled for and detected. */
const char *bitnet_llama_system_info(void);

/* ---- model --------------------------------------------------------------------------------------------- */

/* Loads a GGUF file on the CPU (memory-mapped). On failure *out_model is NULL. */
int bitnet_llama_model_load(const char *path, bitnet_llama_model **out_model);
/* Frees a model; NULL is a no-op. Fails with BITNET_LLAMA_ERR_IN_USE while contexts of it are alive. */
int bitnet_llama_model_free(bitnet_llama_model *model);
int32_t bitnet_llama_model_n_vocab(const bitnet_llama_model *model);
int32_t bitnet_llama_model_n_ctx_train(const bitnet_llama_model *model);
int32_t bitnet_llama_model_n_embd(const bitnet_llama_model *model);
/* Beginning/end-of-sequence token ids; -1 when the vocabulary has none. */
int32_t bitnet_llama_model_bos(const bitnet_llama_model *model);
int32_t bitnet_llama_model_eos(const bitnet_llama_model *model);
/* 1 when `token` ends generation (EOS, EOT, ...), else 0. */
int32_t bitnet_llama_model_is_eog(const bitnet_llama_model *model, int32_t token);

/* ---- tokenizer ----------------------------------------------------------------------------------------- */

/* Tokenizes `text_len` bytes of UTF-8. add_special: add BOS/EOS as the model is configured to;
 * parse_special: recognise control-token text such as "<|im_start|>". */
int bitnet_llama_tokenize(const bitnet_llama_model *model, const char *text, int32_t text_len,
                          int32_t add_special, int32_t parse_special,
                          int32_t *tokens, int32_t capacity, int32_t *out_count);
/* Writes the bytes of one token (no terminating NUL). special: render control tokens as text. */
int bitnet_llama_token_to_piece(const bitnet_llama_model *model, int32_t token, int32_t special,
                                char *buffer, int32_t capacity, int32_t *out_count);
/* Writes the bytes of a token sequence (no terminating NUL). */
int bitnet_llama_detokenize(const bitnet_llama_model *model, const int32_t *tokens, int32_t n_tokens,
                            int32_t remove_special, int32_t unparse_special,
                            char *buffer, int32_t capacity, int32_t *out_count);

/* ---- context ------------------------------------------------------------------------------------------- */

/* Context flags. */
/* Flash attention off and an F32 key/value cache: llama.cpp's most precise CPU arithmetic, used to compare logits.
 * Without it the context uses llama.cpp's defaults (flash attention auto, F16 cache), as llama-cli does. */
#define BITNET_LLAMA_CONTEXT_PRECISE 1u

/* Creates an inference context of n_ctx positions (0 = the model's training length) on n_threads threads
 * (<= 0 = llama.cpp's default). `seed` is recorded for samplers; greedy decoding does not use it.
 * `flags` is a set of BITNET_LLAMA_CONTEXT_* bits. */
int bitnet_llama_context_new(bitnet_llama_model *model, uint32_t n_ctx, int32_t n_threads, uint32_t seed,
                             uint32_t flags, bitnet_llama_context **out_context);
/* Frees a context; NULL is a no-op. Fails with BITNET_LLAMA_ERR_BUSY while a call on it is running. */
int bitnet_llama_context_free(bitnet_llama_context *context);
uint32_t bitnet_llama_context_n_ctx(const bitnet_llama_context *context);
/* Number of positions already evaluated (the next token goes at this position). */
int32_t bitnet_llama_context_n_past(const bitnet_llama_context *context);
/* Forgets all evaluated positions (clears the KV cache) and any pending abort request. */
int bitnet_llama_context_reset(bitnet_llama_context *context);
/* Asks a running eval/greedy call on this context to stop at its next check point; it then returns
 * BITNET_LLAMA_ERR_ABORTED and the context must be reset before reuse. Only a call already running is
 * affected: each eval/greedy call clears earlier requests when it starts. Safe to call from any thread. */
void bitnet_llama_context_request_abort(bitnet_llama_context *context);

/* Evaluates n_tokens at positions n_past..n_past+n_tokens-1. With all_logits != 0 the logits of every position
 * are written row-major ([n_tokens][n_vocab]); otherwise only the last position's ([n_vocab]). `logits` may be
 * NULL to evaluate without reading logits. `capacity` counts floats. *out_rows receives the number of rows.
 * BITNET_LLAMA_ERR_CONTEXT_OVERFLOW when n_past + n_tokens > n_ctx (nothing is evaluated then). */
int bitnet_llama_eval(bitnet_llama_context *context, const int32_t *tokens, int32_t n_tokens,
                      int32_t all_logits, float *logits, int64_t capacity, int32_t *out_rows);
/* Evaluates the prompt, then picks the arg-max token (lowest id on ties) n_steps times, feeding each back.
 * Stops early after an end-of-generation token when stop_at_eog != 0. out_tokens needs n_steps entries;
 * *out_count receives how many were generated. */
int bitnet_llama_greedy(bitnet_llama_context *context, const int32_t *prompt, int32_t n_prompt,
                        int32_t n_steps, int32_t stop_at_eog, int32_t *out_tokens, int32_t *out_count);

/* ---- chat templates ------------------------------------------------------------------------------------ */

/* Renders n_messages (roles[i], contents[i]) with llama.cpp's built-in template that `tmpl` (Jinja text or a name such
 * as "chatml") is recognised as (llama_chat_apply_template), ending with the assistant opener when add_assistant.
 * Writes at most `capacity` bytes (no NUL) and the full length to *out_count (two-pass as the tokenizer calls);
 * BITNET_LLAMA_ERR_INVALID_ARGUMENT when llama.cpp recognises no template. */
int bitnet_llama_chat_apply(const char *tmpl, const char *const *roles, const char *const *contents, int32_t n_messages,
                            int32_t add_assistant, char *buffer, int32_t capacity, int32_t *out_count);

/* ---- embeddings ---------------------------------------------------------------------------------------- */

/* Pooling for bitnet_llama_embed (llama.cpp's llama_pooling_type values). */
#define BITNET_LLAMA_POOLING_MODEL (-1) /* the model's <arch>.pooling_type (none when absent) */
#define BITNET_LLAMA_POOLING_NONE 0
#define BITNET_LLAMA_POOLING_MEAN 1
#define BITNET_LLAMA_POOLING_CLS 2
#define BITNET_LLAMA_POOLING_LAST 3

/* Runs n_tokens as one sequence in a fresh embedding context (llama.cpp's embeddings mode, one micro-batch holding
 * every token, `flags` as for contexts) and writes the hidden states after the output norm, pooled as `pooling`
 * asks: one row of n_embd for mean/cls/last, n_tokens rows for none. Not normalised. `capacity` counts floats;
 * *out_rows receives the rows and *out_pooling the pooling llama.cpp applied. */
int bitnet_llama_embed(bitnet_llama_model *model, const int32_t *tokens, int32_t n_tokens, int32_t pooling,
                       int32_t n_threads, uint32_t flags, float *out, int64_t capacity, int32_t *out_rows,
                       int32_t *out_pooling);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_LLAMA_SHIM_H */
