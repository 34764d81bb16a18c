/// The `Kernels` module. See docs/architecture.md for where it sits in the module graph.
public enum KernelsModule {
    /// The module's name, as reported by diagnostics.
    public static let name = "Kernels"
}
