package fleet

// Shadow mode: a candidate model version scores beside the champion on the
// same windows without raising alerts (model.deploy with "mode":"shadow").
const (
	// VerbModelDiscard drops a model's shadow candidate (args {"model"}).
	VerbModelDiscard = "model.discard"
	// EventShadow is the periodic comparison of a shadow candidate with
	// the champion; its data holds the ShadowStatus fields.
	EventShadow = "shadow"
	// ModeShadow is model.deploy's "mode" for a shadow deployment.
	ModeShadow = "shadow"
)

// Shadow is the topic of a model's shadow candidate scores (Score
// messages; they never raise alerts).
func (t Topics) Shadow(model string) string { return t.base() + "/shadow/" + model }

// ShadowStatus is a model's shadow candidate in ModelStatus and in shadow
// events.
type ShadowStatus struct {
	Version   string  `json:"version"`
	Windows   int64   `json:"windows"`        // windows compared
	Skipped   int64   `json:"skipped"`        // windows the candidate could not keep up with
	Agreement float64 `json:"agreement"`      // share of compared windows with the same alert state
	MeanDiff  float64 `json:"mean_abs_diff"`  // mean absolute score difference
	P95Diff   float64 `json:"p95_abs_diff"`   // p95 absolute score difference
	NonFinite int64   `json:"non_finite"`     // windows where the candidate's score was NaN or Inf
	P50US     int64   `json:"latency_p50_us"` // candidate invoke latency
	P99US     int64   `json:"latency_p99_us"`
}
