// The C API's C++ test: the header under C++17, RAII ownership, and one model shared by two threads.
//   capi_test_cpp MODEL PROMPT N_TOKENS
// Each thread streams N greedy tokens from its own inference of the shared model; both must agree, and the
// tokens are printed ("TOKENS id id ...") for the Swift test to compare with Generator's output.
#include "bitnet.h"
#include "bitnet.h"  // including twice must be harmless

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct ContextDeleter { void operator()(bitnet_context* c) const { bitnet_destroy(c); } };
struct ModelDeleter { void operator()(bitnet_model* m) const { bitnet_model_free(m); } };
struct InferenceDeleter { void operator()(bitnet_inference* i) const { bitnet_inference_free(i); } };

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "FAIL: %s (detail: %s)\n", what, bitnet_last_error_detail());
        ++failures;
    }
}

struct Stream {
    std::vector<int32_t> tokens;
    std::string text;
    bool ok = true;
};

/// Streams greedy tokens with a growing std::string buffer (the two-pass convention).
Stream run(bitnet_model* model, const char* prompt, int n) {
    Stream out;
    bitnet_sampling greedy{};
    greedy.max_tokens = n;
    bitnet_error err = BITNET_OK;
    std::unique_ptr<bitnet_inference, InferenceDeleter> inf(bitnet_inference_start(model, prompt, &greedy, &err));
    if (!inf || err != BITNET_OK) { out.ok = false; return out; }
    std::string buf(4, '\0');
    bool done = false;
    while (!done) {
        int32_t token = -1;
        size_t len = bitnet_inference_next_token(inf.get(), &buf[0], buf.size(), &token, &done, &err);
        if (err == BITNET_ERR_BUFFER_TOO_SMALL) {
            buf.resize(len + 1);
            continue;
        }
        if (err != BITNET_OK) { out.ok = false; return out; }
        out.text.append(buf.data(), len);
        if (token >= 0) out.tokens.push_back(token);
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s MODEL PROMPT N_TOKENS\n", argv[0]);
        return 2;
    }
    const int n = std::atoi(argv[3]);
    bitnet_error err = BITNET_OK;
    bitnet_params params{};
    params.n_threads = 1;  // two inferences at once on a small machine
    std::unique_ptr<bitnet_context, ContextDeleter> ctx(bitnet_init(&params, &err));
    check(ctx != nullptr, "bitnet_init");
    std::unique_ptr<bitnet_model, ModelDeleter> model(bitnet_model_load(ctx.get(), argv[1], &err));
    check(model != nullptr && err == BITNET_OK, "bitnet_model_load");
    if (!model) return 1;

    check(bitnet_model_load(ctx.get(), "/nonexistent.gguf", &err) == nullptr && err == BITNET_ERR_FILE_NOT_FOUND,
          "a bad path is FILE_NOT_FOUND");
    check(bitnet_inference_next_token(nullptr, nullptr, 0, nullptr, nullptr, &err) == 0 &&
              err == BITNET_ERR_INVALID_ARGUMENT, "a NULL inference is INVALID_ARGUMENT");

    Stream a, b;
    std::thread ta([&] { a = run(model.get(), argv[2], n); });
    std::thread tb([&] { b = run(model.get(), argv[2], n); });
    ta.join();
    tb.join();
    check(a.ok && b.ok, "both threads streamed");
    check(a.tokens == b.tokens && a.text == b.text, "threads sharing a model agree");
    check(static_cast<int>(a.tokens.size()) <= n, "at most N tokens");
    check(bitnet_check_health(ctx.get()) == BITNET_OK, "healthy");

    std::printf("TEXT ");
    for (unsigned char c : a.text) std::printf("%02x", c);
    std::printf("\nTOKENS");
    for (int32_t t : a.tokens) std::printf(" %d", t);
    std::printf("\n");
    if (failures > 0) {
        std::fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    std::fprintf(stderr, "capi_test_cpp: all checks passed\n");
    return 0;
}
