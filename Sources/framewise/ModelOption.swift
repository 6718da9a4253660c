import ArgumentParser
import GoogLeNet
import LabelStore
import Pipeline

/// `--model DIR`: where the model is (default: `$FRAMEWISE_MODEL_DIR`, then the user's data directory).
struct ModelOption: ParsableArguments {
    @Option(name: .customLong("model"), help: "The model directory (default: $FRAMEWISE_MODEL_DIR or ~/.local/share/framewise/models/googlenet).")
    var directory: String?

    /// Finds and reads the model in `directory` (falling back to the option, then the default location).
    func load(directory override: String? = nil) throws -> LoadedModelFiles {
        try ModelDirectory(path: override ?? directory).load()
    }
}
