// Package replay streams recorded sensor data from files as if it came from
// a live sensor: CSV files (header, quoted fields, BOM and CRLF tolerated)
// and raw ASCII vibration files such as the IMS bearing snapshots (one row
// per sample, whitespace-separated, no header).
//
//	file ──rows──► column mapping ──► value = raw × scale + offset ──► Batch
//	                (header name or 0-based index)      (unit, range from the config)
//
// Time: either the recorded rate (Spec.Rate; row n at n/rate) or a time
// column (unix, unix_ms, rfc3339 or a Go layout). Sample times keep the
// recorded spacing, re-anchored at the start of the replay, so a model sees
// the data's own time base. Pacing is separate: in real time a row is due
// at start + data offset / speed (speed 600 plays ten minutes per second);
// with realtime false rows come as fast as they are taken. With loop the
// recording restarts, time continuing one row interval after the last row;
// without it Read and Stream return ErrEnd (wrapping io.EOF).
//
// Bad rows are errors naming file, line and column; empty cells and NaN
// spellings are NaN, which the quality checks turn into invalid samples.
// Lines are bounded (MaxLine, MaxFields) before anything is allocated for
// them, and the reader is fuzzed.
package replay
