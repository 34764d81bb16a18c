/// The `LlamaReference` module: llama.cpp as a reference implementation, reached through our C shim
/// (`reference/shim/bitnet_llama_shim.{h,c}`) loaded at run time with `dlopen`.
///
/// Nothing here links against llama.cpp, so the engine builds and runs without it. Build the reference with
/// `scripts/setup-reference.sh` (or `bitnet setup-reference`); check it with `bitnet preflight`.
///
/// Entry points: `ReferenceLibrary.load()`, then `LlamaModel` and `LlamaContext`. Errors are `ReferenceError`.
public enum LlamaReferenceModule {
    /// The module's name, as reported by diagnostics.
    public static let name = "LlamaReference"
}
