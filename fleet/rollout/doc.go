// Package rollout is the pure logic of a wave rollout of a model bundle to
// a fleet: which device goes in which wave, what to do next, when to stop,
// and the JSON form kept retained on the broker at axle/rollouts/<id> so
// that another operator process can resume or abort it.
//
//	devices ─► Assign: sort by sha256(id), wave i takes the first ⌈p_i·n⌉
//	for each wave:
//	  pending ─► deploying (model.deploy sent) ─► waiting (results)
//	          ─► soaking (watch gates, offline, silence) ─► promoted
//	with Policy.Shadow, the deploy is "mode":"shadow" and between waiting
//	and soaking:
//	          ─► shadowing (figures from shadow events, until ShadowUntil)
//	          ─► promoting (criteria met: model.promote, else
//	             model.discard and the device counts as failed)
//	  any time: failed share > MaxFailed, a probation gate, a device lost
//	          ─► aborting: model.rollback to every device already changed,
//	             model.discard to every device with a candidate in shadow
//	          ─► aborted
//	last wave promoted ─► completed
//
// The package does no I/O: a driver (fleet/operator) feeds it results,
// events and statuses, calls Advance for the commands to send, and
// publishes the State after every change.
package rollout
