// Package firmware replaces the running agent binary with a new version
// safely: stage, commit, boot on probation, confirm, or roll back. It is built
// on github.com/minio/selfupdate (patching and checksum of the staged file)
// and does not fetch artifacts or check signatures itself: the caller hands
// it an already fetched file, the sha256 and size from the command, and a
// Verify hook for the signature.
//
// The state machine, persisted in <StateDir>/firmware.json:
//
//	         Stage (size, sha256, Verify; .axle.new next to the binary)
//	idle ───────────────────────────────► staged
//	 ▲                                      │ Commit: old binary kept as axle.old
//	 │                                      │ (hard link), axle.new renamed over
//	 │                                      ▼ axle; caller exits ExitUpdate
//	 │                           committed / pending (new binary on probation)
//	 │                                      │ Boot(v) counts each start
//	 │          Confirm (READY, connected,  │
//	 │          status published)           │ more than MaxAttempts starts,
//	 ├──────────────────────────────────────┤ an unexpected version, or
//	 │  confirmed: old binary removed       │ Rollback on command
//	 │                                      ▼
//	 └──────────────────────────── rolled back: axle.old renamed over axle,
//	                               version recorded as rejected, caller exits
//	                               ExitUpdate so systemd starts the old binary
//
// Every outcome (confirmed, rolled back, aborted) is queued in the state file
// until the agent has published it (Reports, AckReports), so a rollback done
// by a binary that was never able to connect is still reported after the
// restart.
//
// Crash safety: the path of the binary always names a complete, executable
// file. The old binary is kept by a hard link before the single rename that
// swaps the new one in, and every state change is written to a temporary
// file, fsynced, renamed and the directory fsynced. A crash between two
// steps is completed or undone by the next Boot.
package firmware
