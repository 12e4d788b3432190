// Package uplink is axle's MQTT 3.1.1 connection (TCP or TLS with client
// certificates), wrapping paho behind a synchronous, context-aware API.
// paho's types never leave the package.
//
//	         Run(ctx) ─────────────────────────────────────────────┐
//	           │ connect: fresh paho client, CleanSession=false   │ backoff
//	           ▼                                                   │ min·2ⁿ ≤ max,
//	SUBSCRIBE cfg.Subscribe (QoS1) ─► PUBLISH OnlineTopic (retained)│ jittered [½,1]
//	           │ WaitConnected() unblocks, OnConnEvent(Connected)  │
//	           ▼                                                   │
//	Publish ─► slot (≤ InFlight) ─► paho ─► broker                 │
//	           │                      PUBACK ─► collect ─► Token done
//	           ▼ connection lost (EOF, reset, PINGRESP missing,    │
//	             write stalled WriteTimeout)                       │
//	  every pending Token fails with ErrConnectionLost ────────────┘
//
//	incoming PUBLISH ─► copy ─► Messages() (bounded; full ⇒ drop + count)
//
// Durability is the caller's job: paho keeps messages only in memory, so a
// new paho client is made per connection and nothing from a dead connection
// is resent by paho. A failed Token means "maybe delivered": the caller
// (agent/delivery) re-publishes from its bbolt outbox, and consumers
// deduplicate on (device, seq).
//
// The will (WillTopic, retained QoS1) fires only when the broker loses us
// uncleanly; Close sends DISCONNECT, so the agent publishes its own
// "offline" status before closing. The online status is re-published on
// every connection because a broker restarted without its state has lost
// the retained one, and subscriptions are re-made for the same reason.
//
// A connection must hold for MaxBackoff before a loss resets the backoff, so
// a broker that accepts and then drops the client (duplicate client id, ACL)
// is not hammered.
package uplink
