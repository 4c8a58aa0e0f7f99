// Training worker entry (worker_threads / Electron utility process). Filled in by the training engine.
export {}
