// Package artifact moves opaque artifacts (a model bundle, an agent
// binary) named by sha256 and size onto a gateway, over MQTT with no server
// of ours or over HTTPS. Signatures are the caller's business; this package
// guarantees only that the file it returns has the wanted size and hash.
//
// MQTT topic layout, every message retained at QoS1 (see Publish):
//
//	<prefix>/artifacts/<sha256>/meta   JSON v1: sha256, size, chunk_size,
//	                                   chunks, chunk_sha256[], name, kind,
//	                                   version, created (published last)
//	<prefix>/artifacts/<sha256>/0      raw bytes of chunk 0 (≤ 256 KiB)
//	<prefix>/artifacts/<sha256>/1      ...
//
// Any number of gateways fetch it whenever they come online: a subscription
// makes the broker send the retained message at once.
//
// Fetch, and how it resumes:
//
//	size ≤ MaxSize? (before anything is fetched or allocated)
//	subscribe meta ─► decode strictly, size and sha256 = the command's
//	open <dir>/<sha>.part (sparse) + <dir>/<sha>.chunks (bitmap)
//	  re-hash chunks the bitmap lists; keep those that still match
//	loop over missing chunks, Window at a time:
//	  new uplink session subscribed to those chunk topics
//	  chunk n arrives ─► sha256 = meta's? ─► write, fsync, bitmap (atomic)
//	  nothing new for ChunkTimeout while connected ─► request again
//	  (a reconnection resubscribes, so the broker resends; duplicates skipped)
//	whole-file sha256 and size ─► rename to <dir>/<sha>, fsync dir
//
// A network cut is absorbed by uplink's reconnection; a restart (ctx
// cancelled, process killed) leaves the part file and bitmap, and the next
// Fetch on the same Dir requests only the chunks not verified.
//
// Every session of one Fetch uses Source.MQTT.ClientID, one after the
// other, each with a clean MQTT session: the broker keeps nothing after a
// transfer, and a new session never receives chunks queued for an earlier
// one (which, beyond the small message buffer, would crowd out the meta).
//
// HTTPS: GET with the configured CA; <dir>/<sha>.http records the bytes
// fsynced and the ETag/Last-Modified, and a resumed GET sends Range plus
// If-Range. A 200 (Range ignored or file changed) restarts from byte 0;
// Content-Length and Content-Range totals are checked against the size
// limit before the body is read.
package artifact
