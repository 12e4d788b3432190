// Package delivery moves records from the bbolt outbox (agent/buffer) to
// the broker (agent/uplink): publish at QoS1, wait for the PUBACK, then
// Ack, which deletes the record. A record leaves the outbox only after its
// PUBACK, so delivery is at least once; consumers deduplicate on
// (device, seq).
//
// # One connection's run
//
//	link up ─► boundary := outbox LastSeq        (pending ≤ boundary = backlog)
//	   │
//	   ├─ 1 live-first: PeekNewest per class, the newest LiveFirst records
//	   │    younger than LiveWindow and above the previous boundary; live
//	   ├─ 2 live:     Seq > boundary, as Notify announces them; live
//	   └─ 3 backlog:  Seq ≤ boundary, oldest first, at most DrainRate/s;
//	                  historical
//	   events before scores at each level; at most InFlight messages out;
//	   PUBACK ─► acker goroutine ─► Outbox.Ack (merged commits, never
//	   blocking the publisher)
//	link lost (a Token or Publish fails, or Connection() changes)
//	   ─► wait for what is in flight, ack what was acknowledged, start over
//
// At publish time Stamp writes "seq" (and "historical":true) into the
// stored v1 JSON object. A record is historical when it is sent by the
// backlog drain (it was pending when the link came up and was not among
// the live-first ones) or when it is older than LiveWindow when sent.
//
// # Ordering guarantee
//
// Every committed record is delivered at least once, unless the outbox
// bound dropped it (counted, and reported by the agent as a drop event).
// Within a class, taking the first arrival of each seq: the records not
// flagged historical arrive in ascending seq order, and the records flagged
// historical arrive in ascending seq order; the two streams interleave
// after an outage (live first, backlog behind). With no outage everything
// is live and in ascending order. The exception: a live record appended
// with a Time already older than LiveWindow is flagged historical while it
// travels in the live stream.
//
// Why it holds: each stream is published in ascending order over one TCP
// connection, so what arrives of it is a prefix; on the next connection,
// everything not acknowledged is backlog again and restarts from its
// lowest seq, which is above every backlog record that did arrive; and
// live-first only takes records above the previous boundary, above every
// live record sent before.
//
// # Memory
//
// The engine holds at most InFlight messages (Batch records each) plus five
// Peek windows of 256 records, whatever the size of the backlog; the
// outbox stays on disk. A ten-minute outage at 100 records/s (TestTenMinuteOutage)
// drains with a bounded RSS.
//
// # Batching
//
// With Batch > 1, consecutive records of one topic (up to Batch records and
// 256 KiB) travel in one MQTT message whose payload is a JSON array of
// the stamped v1 objects:
//
//	[{"seq":41,"historical":true,"v":1,...},{"seq":42,"historical":true,"v":1,...}]
//
// Consumers must accept both a single object and an array on score and
// event topics when batching is on.
//
// # Failures
//
// Run ends with an error only when the outbox is closed under it. A failed
// Ack (a full disk) is retried by the acker with backoff from 50 ms to 5 s;
// while it retries, its queue fills and publishing waits, so the engine
// does not race ahead of acks it cannot store. A failed read ends the
// connection's run, which settles what is in flight and starts again after
// the same backoff. Progress counts both (AckFailures, Stalls) with the
// last error, for the agent to report once per episode; the engine itself
// never logs.
//
// # Progress
//
// Progress reports the backlog size, the acknowledgement rate and the
// estimated time left; Metrics flattens it with the outbox and uplink
// counters for the metrics topic. The engine does not log: the agent polls
// Progress (for example every 10 s while Draining) and logs it.
package delivery
