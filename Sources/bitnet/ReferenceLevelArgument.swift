import ArgumentParser
import LlamaReference

/// `v3`, `x86-64-v3` or `native` on the command line (`ReferenceLevel.init(argument:)` parses them).
extension ReferenceLevel: ExpressibleByArgument {
    public static var allValueStrings: [String] { allCases.map(\.argument) }
}
