// Package agent is the axle daemon: it wires sensors, preprocessing, models,
// scoring, the durable outbox and the MQTT uplink together, owns every
// goroutine, and is the only package that logs.
//
//	sensor goroutine (one per sensor: Read or Stream, retry with backoff)
//	   │ chunks of samples, bounded channel, drop-oldest + counter
//	   ▼
//	pipeline goroutine (one per sensor; owns the models fed by that sensor)
//	   windower → features → model.Invoke → scorer (hysteresis)
//	   │ score + alert events, JSON v1 without seq
//	   ▼
//	buffer.Outbox.Append (durable, assigns seq) ──► delivery engine ──► uplink (paho, QoS1)
//	                                                 acks after PUBACK
//	uplink.Messages ──► command goroutine ──► result (through the outbox)
//
// Shutdown runs upstream first: sensors stop, pipelines drain their last
// chunks, delivery stops (undelivered records stay in the outbox), the
// offline status is published, the uplink disconnects, the outbox closes.
package agent
