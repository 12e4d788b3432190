// Package train closes the retraining loop without Python: it fits the
// project's baseline anomaly model (the demo model's method, package pca)
// on healthy windows and writes an unsigned bundle ready for
// `axle model sign`, and it evaluates a model on labelled windows.
//
//	sensor / replay / captures ─► Features (models/preprocess, as the agent computes them)
//	healthy rows ─┬─ fit rows ─────► pca.Fit ─► .tflite (models/build)
//	              └─ hold-out rows ─► scores by the built model (models/tflite)
//	                                   ├─► warn/alarm at the 1-FAR quantiles
//	                                   ├─► baseline histograms (agent/monitor)
//	                                   └─► test vectors
//	                                 ─► bundle.Manifest with lineage ─► Pack
//
//	labelled rows ─► Score ─► Evaluate: precision, recall, F1 at the alarm, ROC AUC
package train
