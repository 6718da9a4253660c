// Pipeline module: being written (see ARCHITECTURE.md).
