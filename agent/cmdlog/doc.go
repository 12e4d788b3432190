// Package cmdlog remembers the ids of fleet commands the agent has handled,
// in a small bbolt file of its own (commands.db in the state directory), so
// that a QoS 1 redelivery after a restart is recognised and not run twice.
//
//	Seen(id, keepUntil) ── one write transaction ──┐
//	                                               ▼
//	  bucket "ids":    id → keepUntil (Unix ns, big-endian)
//	  bucket "expiry": keepUntil ‖ id → ""   (oldest first, for pruning)
//
// Each Seen prunes the ids whose time has passed and, when the log holds
// more than MaxEntries, the ones that would expire first; the caller bounds
// keepUntil (the config's commands.max_expiry), so the file stays small.
// A file bbolt cannot open or whose entries do not decode is renamed to
// <path>.corrupt-<UTC time> and a fresh log is started; Recovered says so.
package cmdlog
