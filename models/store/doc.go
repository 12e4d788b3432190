// Package store keeps versioned model bundles on the gateway's disk, with
// an atomically replaced active pointer per model, rollback, retention and
// an append-only audit log. Bundles are opaque bytes here: the caller
// verifies a bundle before Install, and may pass Options.Verify to re-check
// a version's file whenever it is about to run.
//
// # Layout
//
//	<root>/                               state_dir/models
//	  history.jsonl                       audit log, one JSON entry per line, fsynced
//	  history.jsonl.1                     the previous log, after rotation
//	  <model>/
//	    active.json                       {"active":"1.3.0","previous":"1.2.0","probation":true}
//	    versions/
//	      1.2.0/bundle.axb                the bundle bytes, as installed
//	      1.2.0/meta.json                 {"seq","sha256","size","installed_at","state","reason"}
//	      1.3.0/...
//	      .tmp-1.4.0-123456/              an install in progress (removed by Open)
//
// # Crash safety
//
// A version appears only complete: Install writes bundle.axb and meta.json
// into a ".tmp-" directory next to its final place, fsyncs both files and
// the directory, checks the sha256 while copying, renames the directory
// into place and fsyncs the parent. active.json and meta.json are replaced
// with temp file + fsync + rename + fsync of the directory; deletions
// rename to ".tmp-" first. active.json is the truth about what runs; the
// states in meta.json follow it and Open brings them back in line after a
// crash. Open removes every ".tmp-" entry, cuts a torn last audit line and
// re-verifies each model's active version (size, sha256, Options.Verify);
// when it is not complete it falls back to the previous version and
// reports that in Recovered and the audit log. So a SIGKILL at any instant
// of an install or activation leaves the old or the new version active,
// never a half-installed one.
//
// # States
//
//	Install ──► installed ──Activate{Probation}──► probation ──Promote──► active
//	               │    ╰──────────Activate──────────────────────────────╯  │
//	               │                                  │                     │
//	    MarkFailed, MarkRejected           Rollback{Reject}             Rollback
//	               ▼                                  ▼                     ▼
//	        failed, rejected                      rejected             rolled_back
//
// The version rolled back from becomes the previous one; the version an
// Activate replaces becomes previous again in state installed.
//
// A rejected version is refused by Install (a *RejectedError) unless
// forced, and its meta.json survives pruning so the refusal is remembered.
// A failed version goes back to installed when the same content is
// installed again.
//
// # Retention
//
// Activate prunes the model's oldest versions beyond Options.Keep; the
// active and the previous one are never removed.
//
// One process at a time may open a root; within it the Store serialises
// all changes. ReadHistory reads the audit log without opening the store.
package store
