package fleet

// Event kinds of model monitoring.
const (
	// EventDrift: a model's score or an input feature drifted from the
	// bundle's baseline (PSI reached the model's drift.max_psi).
	EventDrift = "drift"
	// EventDriftClear: the drift ended (PSI fell below drift.clear_psi).
	EventDriftClear = "drift_clear"
	// EventCaptureUpload: progress of a capture.upload.
	EventCaptureUpload = "capture_upload"
)

// VerbFeedback attaches ground-truth labels to past windows of a model
// (args: model, label "positive" or "negative", and seq or from/to).
const VerbFeedback = "feedback"

// VerbCaptureUpload publishes a stored capture as an artifact (args: id,
// chunk_size); the result carries its sha256 and size.
const VerbCaptureUpload = "capture.upload"
