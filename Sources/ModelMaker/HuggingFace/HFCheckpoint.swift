import Foundation

/// A Hugging Face checkpoint folder: `config.json` and its safetensors weights (one `model.safetensors`, or the
/// shards a `model.safetensors.index.json` lists, or every `*.safetensors` file), all mapped read-only.
public struct HFCheckpoint: @unchecked Sendable {
    // Sendable: `config` is a parsed JSON value, never mutated after init.
    /// The folder.
    public let directory: String
    /// `config.json` (with a multimodal model's `text_config` lifted to the top level, as llama.cpp's converter does).
    public let config: [String: Any]
    /// The weight files, in shard order.
    public let files: [SafetensorsFile]

    /// Every tensor: shards in order, each shard's tensors by name (the order llama.cpp's converter reads them).
    public var tensors: [SafetensorsTensor] { files.flatMap(\.tensors) }

    /// Opens the checkpoint in `directory`.
    /// - Throws: `HFImportError.notADirectory`, `.missingFile` (no config.json, no safetensors), `.badJSON`,
    ///   `.badSafetensors`, `.unsupportedDType`.
    public init(directory: String) throws(HFImportError) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw .notADirectory(directory)
        }
        self.directory = directory
        let configPath = directory + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw .missingFile(path: configPath, hint: "A Hugging Face checkpoint folder has a config.json next to its weights.")
        }
        var config = try HFJSON.object(at: configPath)
        if let text = config["text_config"] as? [String: Any] { config.merge(text) { _, new in new } }
        self.config = config

        var names: [String]
        let indexPath = directory + "/model.safetensors.index.json"
        if FileManager.default.fileExists(atPath: indexPath) {
            guard let map = try HFJSON.object(at: indexPath)["weight_map"] as? [String: String] else {
                throw .badJSON(path: indexPath, reason: "no weight_map object")
            }
            names = Array(Set(map.values)).sorted()
        } else {
            let all = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            names = all.filter { $0.hasSuffix(".safetensors") }.sorted()
            if names.contains("model.safetensors") { names = ["model.safetensors"] }
        }
        guard !names.isEmpty else {
            let bin = FileManager.default.fileExists(atPath: directory + "/pytorch_model.bin")
            throw .missingFile(path: directory + "/model.safetensors", hint: bin
                ? "Only pytorch_model.bin was found; convert --from-hf reads safetensors. Save the model with "
                    + "save_pretrained(..., safe_serialization=True)."
                : "No *.safetensors weights were found in the folder.")
        }
        var files: [SafetensorsFile] = []
        for name in names {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else {
                throw .missingFile(path: path, hint: "model.safetensors.index.json lists it; download every shard.")
            }
            files.append(try SafetensorsFile(path: path))
        }
        self.files = files
    }

    /// An integer hyper-parameter: the first of `keys` present.
    func int(_ keys: String...) -> Int? {
        for k in keys { if let v = HFJSON.int(config[k]) { return v } }
        return nil
    }

    /// A numeric hyper-parameter: the first of `keys` present.
    func double(_ keys: String...) -> Double? {
        for k in keys { if let v = HFJSON.double(config[k]) { return v } }
        return nil
    }
}
