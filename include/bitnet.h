/*
 * bitnet.h — the C API of bitnet-swift: load a GGUF model and stream tokens from C, C++, Rust or Python.
 *
 * Link against the BitNetC library product (libBitNetC.so / libBitNetC.dylib), built with
 *     swift build -c release --product BitNetC
 * See docs/c-api.md for a walk-through and examples/c/ for a complete program.
 *
 * Rules that hold for every function below:
 *   - NULL-safe: a NULL handle or a NULL required pointer returns BITNET_ERR_INVALID_ARGUMENT, never a crash.
 *     Every `bitnet_error *err` out-parameter may be NULL (the code is then simply not reported).
 *   - Handles are checked against a registry: a handle that was freed, or that was never returned by this
 *     library, or that is of the wrong kind, returns BITNET_ERR_INVALID_HANDLE, not undefined behaviour.
 *     Handles are never reused within a process.
 *   - No Swift error crosses the boundary: every failure becomes an error code, and
 *     bitnet_last_error_detail() says what happened on this thread. (A bug inside the library that the
 *     inputs cannot cause, or running out of memory, still aborts the process, as in any C library.)
 *   - Ownership: strings and arrays passed in are borrowed for the duration of the call and never kept.
 *     Buffers are owned by the caller; the library writes into them. Handles are owned by the caller and
 *     released with the matching free/destroy function. Freeing a parent releases its children: destroying
 *     a context frees its models, freeing a model frees its inferences (their handles become invalid).
 *     Strings returned as `const char *` are owned by the library (see each function for their lifetime).
 *   - Two-pass buffers: functions that fill a caller buffer return the size they need. When the buffer is
 *     NULL or too small they write nothing, set BITNET_ERR_BUFFER_TOO_SMALL and return the needed size;
 *     call again with a buffer of at least that size. Text is UTF-8 and NUL-terminated; the returned size
 *     counts bytes without the NUL, so text needs a capacity of at least (returned size + 1).
 *   - Threads: every function may be called from any thread. Use one context per thread for clarity;
 *     models are read-only and may be shared by threads (each inference has its own cache and threads).
 *     One inference handle must not be stepped by two threads at once (such calls are serialised).
 *   - Zero-initialised parameter structs mean defaults; a NULL parameter pointer means defaults.
 */
#ifndef BITNET_H
#define BITNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Version of this interface; bitnet_version() reports the library's. Bumped on any incompatible change. */
#define BITNET_API_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes. 0 is success; bitnet_error_message(code) names each one. */
enum bitnet_error_code {
    BITNET_OK = 0,
    BITNET_ERR_INVALID_ARGUMENT = 1,  /**< NULL pointer, out-of-range parameter, bad token id */
    BITNET_ERR_FILE_NOT_FOUND = 2,    /**< the model path does not exist or cannot be opened */
    BITNET_ERR_INVALID_MODEL = 3,     /**< not GGUF, truncated, missing or mis-shaped tensors, bad tokenizer */
    BITNET_ERR_UNSUPPORTED = 4,       /**< a valid GGUF file this engine cannot run (architecture, type) */
    BITNET_ERR_OUT_OF_MEMORY = 5,     /**< a requested allocation is larger than this machine can give */
    BITNET_ERR_CONTEXT_OVERFLOW = 6,  /**< prompt + requested tokens exceed the context length */
    BITNET_ERR_INFERENCE_FAILED = 7,  /**< the forward pass failed; the inference cannot continue */
    BITNET_ERR_CANCELLED = 8,         /**< the operation was cancelled (reserved: no call cancels yet) */
    BITNET_ERR_INTERNAL = 9,          /**< a bug in the library; the detail says where */
    BITNET_ERR_INVALID_HANDLE = 10,   /**< a freed, foreign or wrong-kind handle */
    BITNET_ERR_BUFFER_TOO_SMALL = 11  /**< a NULL or too-small output buffer; the return value is the size */
};

/** An error code (one of enum bitnet_error_code), fixed at 32 bits for a stable ABI. */
typedef int32_t bitnet_error;

/** Opaque handles. Never dereference them; they are registry ids, not pointers to memory. */
typedef struct bitnet_context bitnet_context;
typedef struct bitnet_model bitnet_model;
typedef struct bitnet_inference bitnet_inference;

/** Context parameters (8 bytes). Zero means the default for every field. */
typedef struct bitnet_params {
    int32_t n_threads; /**< offset 0: compute threads per inference; 0 = physical cores; at most 256 */
    int32_t n_ctx;     /**< offset 4: context length in tokens; 0 = the model's, capped at 4096 */
} bitnet_params;

/** Sampling parameters (32 bytes). All zeros = greedy decoding (argmax) with no limit but the context. */
typedef struct bitnet_sampling {
    float temperature;    /**< offset 0: <= 0 = greedy; otherwise softmax temperature */
    int32_t top_k;        /**< offset 4: keep the k most likely tokens; 0 = all */
    float top_p;          /**< offset 8: nucleus mass in (0, 1]; 0 = 1 (off) */
    float min_p;          /**< offset 12: drop tokens below min_p x the best one; 0 = off */
    float repeat_penalty; /**< offset 16: penalise the last 64 tokens; 0 = 1 (off) */
    int32_t max_tokens;   /**< offset 20: tokens to generate; 0 = until end of generation or a full context */
    uint64_t seed;        /**< offset 24: random seed; same seed and inputs give the same tokens */
} bitnet_sampling;

/** What bitnet_model_info() reports (64 bytes). */
typedef struct bitnet_model_description {
    char architecture[32]; /**< offset 0: GGUF general.architecture, NUL-terminated (e.g. "llama") */
    uint64_t n_params;     /**< offset 32: number of weights */
    uint64_t n_bytes;      /**< offset 40: size of the model file */
    int32_t n_ctx_train;   /**< offset 48: the context length the model was trained with */
    int32_t n_vocab;       /**< offset 52: vocabulary size */
    int32_t n_layer;       /**< offset 56: transformer blocks */
    int32_t n_embd;        /**< offset 60: embedding width */
} bitnet_model_description;

/* ---------------------------------------------------------------- context */

/** Creates a context. `params` may be NULL (defaults). Returns NULL on failure with `*err` set.
 *  The caller owns the context and releases it with bitnet_destroy(). Thread-safe. */
bitnet_context *bitnet_init(const bitnet_params *params, bitnet_error *err);

/** Destroys a context and every model and inference created from it. Returns BITNET_OK, or
 *  BITNET_ERR_INVALID_ARGUMENT for NULL, BITNET_ERR_INVALID_HANDLE when already destroyed. Thread-safe. */
bitnet_error bitnet_destroy(bitnet_context *ctx);

/** The library's version text (static, never freed) and, when `api_version` is not NULL, the
 *  BITNET_API_VERSION it was built with. Compare that with the header's before using anything else. */
const char *bitnet_version(int32_t *api_version);

/* ---------------------------------------------------------------- model */

/** Maps the GGUF file at `path` (borrowed) and builds the model with the context's parameters.
 *  Returns NULL on failure with `*err` set: FILE_NOT_FOUND, INVALID_MODEL, UNSUPPORTED, INVALID_HANDLE.
 *  The model belongs to the caller (bitnet_model_free) and dies with its context. Thread-safe. */
bitnet_model *bitnet_model_load(bitnet_context *ctx, const char *path, bitnet_error *err);

/** Frees a model and every inference started from it. Returns BITNET_OK or an error code. Thread-safe. */
bitnet_error bitnet_model_free(bitnet_model *model);

/** Fills `*out` (caller-owned) with the model's architecture, parameter count, file size, training
 *  context and vocabulary. Returns BITNET_OK or an error code; `*out` is untouched on error. Thread-safe. */
bitnet_error bitnet_model_info(const bitnet_model *model, bitnet_model_description *out);

/** Bytes of weight data the model keeps in memory (mapped tensors; the CPU analogue of VRAM usage).
 *  Returns 0 with `*err` set on error. Thread-safe. */
uint64_t bitnet_model_memory_bytes(const bitnet_model *model, bitnet_error *err);

/* ---------------------------------------------------------------- inference */

/** Tokenizes `prompt` (UTF-8, borrowed; BOS added when the model asks for it) and evaluates it in a new
 *  inference with its own cache and threads. `sampling` may be NULL (greedy). Returns NULL on failure with
 *  `*err` set: INVALID_ARGUMENT (empty prompt, bad sampling values), CONTEXT_OVERFLOW, INFERENCE_FAILED,
 *  INVALID_HANDLE. The caller owns the handle (bitnet_inference_free); it dies with its model.
 *  Thread-safe: inferences of one model may run on different threads at once. */
bitnet_inference *bitnet_inference_start(bitnet_model *model, const char *prompt, const bitnet_sampling *sampling,
                                         bitnet_error *err);

/** Produces the next token. Writes its text into `buf` (caller-owned, NUL-terminated), its id into
 *  `*token_id` and whether generation has ended into `*done`; `token_id` and `done` may be NULL.
 *  Returns the text's length in bytes (without the NUL).
 *
 *  Text pieces are always complete UTF-8: a token that ends inside a character yields "" and its bytes come
 *  with a later token. When generation ends (max_tokens reached, context full, or an end-of-generation
 *  token), the last call sets *done = true and carries any remaining text; if it produced no token (end of
 *  generation), *token_id is -1. Calls after that return 0 bytes, *done = true, BITNET_OK.
 *
 *  Two-pass: a NULL or too-small `buf` (cap < length + 1) writes nothing, sets BUFFER_TOO_SMALL, returns the
 *  length, and keeps the token: the next call returns the same piece. Other errors return 0 with `*err` set
 *  (INFERENCE_FAILED is final). Calls on one handle are serialised; use it from one thread at a time. */
size_t bitnet_inference_next_token(bitnet_inference *inf, char *buf, size_t cap, int32_t *token_id, bool *done,
                                   bitnet_error *err);

/** Frees an inference (its cache and threads). Returns BITNET_OK or an error code. Thread-safe. */
bitnet_error bitnet_inference_free(bitnet_inference *inf);

/* ---------------------------------------------------------------- tokenization */

/** Tokenizes `text` (UTF-8, borrowed) into `tokens` (caller-owned, `cap` entries). `add_special` adds the
 *  BOS/EOS the model asks for; `parse_special` recognises control tokens written in the text.
 *  Returns the number of tokens (two-pass: `tokens` may be NULL to ask for the count). Thread-safe. */
size_t bitnet_tokenize(const bitnet_model *model, const char *text, bool add_special, bool parse_special,
                       int32_t *tokens, size_t cap, bitnet_error *err);

/** Renders `n_tokens` ids (borrowed) as UTF-8 text into `buf` (caller-owned, NUL-terminated), as llama.cpp's
 *  detokenize does with special tokens rendered. An id outside the vocabulary is INVALID_ARGUMENT.
 *  Returns the length in bytes without the NUL (two-pass: `buf` may be NULL). Thread-safe. */
size_t bitnet_detokenize(const bitnet_model *model, const int32_t *tokens, size_t n_tokens, char *buf, size_t cap,
                         bitnet_error *err);

/* ---------------------------------------------------------------- health and errors */

/** Checks the context's models and inferences: each model file is still on disk at its mapped size and
 *  its mapping is readable; each live inference is not in a failed state and all its worker threads run a
 *  probe task (waiting for a token in progress on another thread; a pool that does not answer within 10 s is
 *  BITNET_ERR_INTERNAL). Returns BITNET_OK, or the first problem's code with the detail in
 *  bitnet_last_error_detail(). Thread-safe. */
bitnet_error bitnet_check_health(const bitnet_context *ctx);

/** A static English name for `code` (never NULL, never freed); unknown codes get "unknown error code". */
const char *bitnet_error_message(bitnet_error code);

/** What went wrong in the last failing call on this thread, or "" if the last call succeeded. The string
 *  is owned by the library and valid until the next bitnet_* call on the same thread. Never NULL. */
const char *bitnet_last_error_detail(void);

#ifdef __cplusplus
}
#endif

#endif /* BITNET_H */
