import ArgumentParser

/// The `bitnet` command-line tool: inspect, run and validate GGUF models.
@main
struct BitNetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitnet",
        abstract: "Run BitNet and llama-family GGUF models on the CPU, checked against llama.cpp.",
        version: BitNetVersion.string,
        subcommands: [
            RunCommand.self,
            BenchCommand.self,
            BenchBaselineCommand.self,
            BenchGEMMCommand.self,
            ChatCommand.self,
            InspectCommand.self,
            FetchModelsCommand.self,
            ModelsCommand.self,
            PreflightCommand.self,
            LogitsCommand.self,
            LogitDistanceCommand.self,
            SetupReferenceCommand.self,
            TokenizeCommand.self,
            CrossvalCommand.self,
            VerifyReceiptCommand.self,
            MakeModelCommand.self,
            EmbedCommand.self,
            ConvertCommand.self,
            ServeCommand.self,
        ]
    )
}

/// The engine's version string, reported by `--version` and written into receipts.
enum BitNetVersion {
    static let string = "0.1.0-dev"
}
