// LabelStore module: being written (see ARCHITECTURE.md).
