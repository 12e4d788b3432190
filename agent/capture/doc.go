// Package capture is the evidence store: captured windows, features and
// scores kept on the gateway within a byte budget, for labelling, upload
// and retraining.
//
//	pipeline ──Offer──► Queue (bounded, full = counted drop, never blocks)
//	                      │ drained by the agent's writer goroutine (Queue.Run)
//	                      ▼
//	Store.Add ─► <dir>/<id>.cap   one file per capture, temp+fsync+rename
//	          └► evict: oldest of the same trigger while over its quota,
//	                    then oldest of any trigger while over the budget
//
// Age is the order of Add (IDs are increasing sequence numbers), not the
// window's time, so a wrong clock cannot make a new capture look old.
// Triggers are alert, drift, uncertain (UncertaintyBand), sample (Sampler)
// and command. One Store owns its directory; Open reads and verifies every
// file once, so opening takes time in proportion to the budget. The directory is the index: Open removes leftover temp files
// and rebuilds the in-memory index and byte accounting from the files, so
// nothing can go out of sync after a crash. A file whose checksum or
// structure is wrong is skipped, counted in Stats and kept for inspection;
// it still counts against the budget and is the first thing removed when
// the budget is exceeded.
//
// File format v1 (all integers little-endian):
//
//	0   "AXCP"          magic
//	4   u8  1           version
//	5   3 bytes zero    reserved
//	8   u32 H           header length (JSON, at most MaxHeaderBytes)
//	12  u64 D           data length
//	20  H bytes         header JSON: id, seq, trigger, times, sensor, model,
//	                    version, score, labels, meta, channel names,
//	                    sample rate, samples, feature count
//	20+H D bytes        window float32 channel-major (channels × samples),
//	                    then features float32
//	20+H+D u32          CRC-32C (Castagnoli) of every byte before it
//
// Upload: Chunks hands out one capture file as an artifact (firmware/artifact
// Meta with a sha256 per chunk and for the whole file) and is an io.ReaderAt,
// so the agent can publish it with artifact.Publish in resumable chunks.
package capture
