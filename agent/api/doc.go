// Package api is the agent's local HTTP API and live page, off unless
// configured (config section api:), on one TCP address or a unix socket:
//
//	GET  /healthz                   200 while the process serves (never authenticated)
//	GET  /readyz                    200 when sensors, models and outbox are up, else 503 + reason
//	GET  /v1/status                 the retained status document (fleet.Status)
//	GET  /v1/models                 configured models, their input sizes and thresholds
//	GET  /v1/models/NAME            TensorFlow Serving model status (AVAILABLE when active)
//	POST /v1/models/NAME:predict    TensorFlow Serving REST predict: {"instances"} or {"inputs"}
//	GET  /v1/series?window=1h       recent scores per model for the live page
//	GET  /metrics                   Prometheus text: the agent's metrics, then the API's own
//	GET  /                          the live page (embedded, no external resources)
//
// Predict follows TensorFlow Serving's REST API: the row form
// {"instances": [[...], ...]} is answered with {"predictions": [[...], ...]},
// the columnar form {"inputs": [[...], ...]} (one unnamed input) with
// {"outputs": [[...], ...]}, as TF Serving clients expect; each instance is a
// number or a nested list flattened row-major into the model's input.
//
// The agent implements Source; this package only translates HTTP to it and
// guards it: bearer token on TCP (from a file, constant-time compare), body
// size limit, a non-blocking concurrency limit on predict (429 when full),
// a per-request timeout (504) and server read/write timeouts.
package api
