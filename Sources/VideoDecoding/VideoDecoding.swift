// VideoDecoding module: being written (see ARCHITECTURE.md).
