// The package's front door: `import BitNet` gives the async API (`LanguageModel`, `ChatSession`, `GenerationOptions`),
// the synchronous one (`Engine`, `Generator`, `TokenIterator`) and the types they name (`Tokenizer`,
// `SamplingParameters`, `GenerationResult`, and the fetcher's `FetchEvent` that `LanguageModel.load` reports). The lower modules (GGUF, Kernels, BitNetModels, ...) stay importable.
@_exported import BitNetRuntime
@_exported import ModelFetcher
@_exported import Tokenizers
