// Package buffer is axle's outbox: every score and event the agent produces
// is stored here, durably, until the broker has acknowledged it.
//
// # Layout
//
// One bbolt file, three buckets:
//
//	meta    "format" → "axle-outbox/1"
//	        "state"  → crc32c | lastSeq | events count, bytes | scores count, bytes
//	                         | pending drops (scores, events, bytes, oldest, newest seq)
//	events  seq (8 bytes, big-endian) → crc32c | time (ns) | topic len | topic | payload
//	scores  seq (8 bytes, big-endian) → crc32c | time (ns) | topic len | topic | payload
//
// Seq is one per-device counter shared by both classes, so consumers can
// deduplicate on (device, seq). Big-endian keys make bbolt's key order the
// Seq order: Peek is a cursor seek, drops and the age sweep take the first
// key. The checksum covers class, key and value, so a misplaced or rotted
// record is detected on read. "state" is rewritten in the same transaction
// as the records it counts, so counts, bytes and lastSeq are exact across
// restarts. A new file starts its sequence at the current Unix time in
// microseconds: a replaced or deleted outbox never reuses numbers that
// consumers have already seen.
//
// # Durability: group commit
//
//	Append ─┐                       ┌─ one bbolt write transaction ─┐
//	Append ─┼─► queue ─► commit  ───┤ drops, puts, acks, age sweep,  ├─► fsync ─► all callers return
//	Ack    ─┘   goroutine           └─ state record                  ┘
//
// One goroutine, owned by the Outbox and stopped by Close, performs every
// write. It takes all requests waiting in the queue (up to MaxBatch
// records), applies them in one transaction and commits once; requests that
// arrive during the fsync form the next batch. A record is durable when
// Append returns nil. The records of one Append are stored together or not
// at all. A kill -9 at any moment loses nothing Append returned for; on
// restart the file opens and the sequence continues.
//
// # Bounds and the drop policy
//
//	MaxBytes (topic+payload bytes): to fit a new Append, delete the oldest
//	    scores until it fits. Events are never dropped for room: if stored
//	    events plus the new records exceed the bound, Append fails with
//	    ErrFull and nothing is dropped.
//	MaxAge: records older than MaxAge are dropped, scores first, then events
//	    (the only way an event is ever dropped). Checked at every commit and,
//	    when idle, by a ticker in the commit goroutine.
//
// Every drop is counted by class with the bytes and the Seq range, kept in
// the state record until TakeDrops hands it to the agent, which publishes it
// as an event (fleet.EventDrop). Stats reports totals since Open.
//
// # Disk space
//
// bbolt reuses freed pages but never shrinks its file. After a commit, if at
// least 16 MiB of the file is free and the file is 4 times the live data, the
// commit goroutine copies the live data into <path>.compact, syncs it, and
// renames it over the database. A crash before the rename leaves the old file
// (Open removes the stale copy); after it, the synced copy.
//
// # Damage
//
// Open reads back every record. A file bbolt cannot open, or whose
// records or state fail validation, is renamed to <path>.corrupt-<UTC time>,
// a new outbox is started, and Recovered reports the move so the agent can
// log it and emit an event. Nothing is deleted.
//
// # Full disk
//
// An ack or a drop is a bbolt commit too: it writes new copies of the pages
// it changes and of the freelist, and on a packed file those land past its
// end, in blocks the filesystem must find. So the outbox keeps a reserve:
//
//	<path>.reserve   ReserveBytes of written blocks (not a sparse file)
//
//	commit fails with ENOSPC/EDQUOT/EFBIG ─► ErrDiskFull to the appenders
//	   ─► truncate the reserve to 0 ─► commit the batch again without its
//	      appends: acks, drops and the age sweep go through
//	while full: an append is tried only if bbolt's free pages (blocks the
//	   file already owns) hold it twice over; otherwise it gets ErrDiskFull
//	   and the oldest scores of its size are dropped (counted) to make room
//	   for the next one; compaction runs once the live data fits in free space
//	every commit while full: statfs; with room for the reserve and as much
//	   again, rewrite the reserve and end the episode
//
// Stats reports DiskFull, DiskFullEpisodes (one per episode), ReserveBytes
// and FreeBytes. A failed commit changes nothing on disk, so Append's
// contract holds: nil means durable, an error means not stored. Zero-filled
// blocks reserve nothing on a compressing or deduplicating filesystem
// (btrfs with compression, ZFS): there, rely on MinFreeBytes.
//
// MinFreeBytes is a floor on the filesystem's free space, checked with
// statfs before each commit. Below it the outbox stops growing: a new
// record replaces the oldest scores (counted drops, reported through
// TakeDrops like the byte bound's), and events are never dropped for it.
package buffer
