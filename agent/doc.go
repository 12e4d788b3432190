// Package agent is the axle daemon: it wires sensors, preprocessing, models,
// scoring, the durable outbox and the MQTT uplink together, owns every
// goroutine, and is the only package that logs.
//
//	sensor goroutine (one per sensor: Read or Stream, retry with backoff)
//	   │ chunks of samples, bounded channel, drop-oldest + counter
//	   │ quality events ──► bounded event queue ──► event goroutine ──► Outbox
//	   ▼
//	pipeline goroutine (one per sensor; owns the model slots fed by that sensor)
//	   windower → features → model.Invoke → scorer (hysteresis)
//	   │ score + alert events, JSON v1 without seq
//	   ▼
//	buffer.Outbox.Append (durable, assigns seq) ──► delivery engine ──► uplink (paho, QoS1)
//	                                                 acks after PUBACK
//	uplink.Messages ──► command goroutine ──► result (through the outbox)
//
// No sensor goroutine waits for the disk: its events are queued (dropped
// and counted when the queue is full). A model that cannot be loaded leaves
// its slot failed (shown in the status, with an event); the model watcher
// loads it again when its file changes and offers it to the pipeline, which
// swaps it in between two windows. Delivery and the uplink are restarted
// with backoff after an error, and the systemd watchdog is fed only while
// pipelines, outbox and delivery make progress (see health).
//
// Model deployment (deploy.go, modelstore.go, probation.go, spool.go):
//
//	model.deploy ──► journal ──► accepted ──► deployment goroutine (one per model):
//	   fetch (artifact, MQTT chunks or HTTPS, resumable) ──► verify (trusted
//	   keys, hashes, name/version) ──► store.Install ──► load ──► self_test
//	   (test vectors, latency) ──► swap (slot Offer at a window boundary) ──►
//	   store.Activate{Probation} ──► done result ──► probation watcher
//	pipeline: every window of the version on probation ──► probation.Observe
//	   ──► final verdict (non-blocking) ──► watcher: Passed → store.Promote,
//	   Tripped → store.Rollback{Reject} + swap back to the kept previous model
//	<state_dir>/spool/*.axb ──► same steps ──► <name>.result.json, done/
//
// Any failed step leaves the running version untouched and answers
// "failed" with "<step>: <reason>". At startup every model with an active
// version in <state_dir>/models runs that version, re-verified; a version
// still on probation is watched again, and a deployment cut by a stop
// resumes from the deployment journal.
//
// Shutdown runs upstream first: sensors stop, pipelines drain their last
// chunks, delivery stops (undelivered records stay in the outbox), the
// uplink publishes the offline status with the stop reason, waits for its
// PUBACK and disconnects, queued events are stored, the outbox closes.
package agent
