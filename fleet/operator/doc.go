// Package operator is the operator's side of the fleet protocol: one MQTT
// connection (agent/uplink) that sees the fleet's retained statuses,
// results and events, sends signed commands and drives wave rollouts.
//
//	Dial ─► subscribe <p>/+/status (retained), <p>/+/result, <p>/+/events,
//	        <p>/rollouts/+ (retained), [<p>/+/scores/+ when watching]
//	Sync      publish a probe to ourselves: once it returns, every retained
//	          message of the subscription has arrived (MQTT keeps order)
//	Command   sign (trust secret key) ─► <p>/<dev>/cmd | <p>/group/<g>/cmd
//	          | <p>/all/cmd ─► one final result per device, deduplicated
//	          by (device, id), accepted ignored, silent devices named
//	Deploy / Resume / Abort
//	          fleet/rollout.State driven by results, deployment events
//	          with a gate, offline statuses and silence; the state is
//	          published retained to <p>/rollouts/<id> after every change
//
// Only one goroutine reads the connection; it updates the device table and
// calls the listeners registered by the operations in progress.
package operator
