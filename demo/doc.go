// Package demo is `axle demo`: the whole agent on an embedded MQTT broker
// (mochi-mqtt) with a simulated pump that develops a bearing fault, printing
// one line per scored window. It lives outside package agent so that the
// daemon carries neither the embedded broker nor the simulator wiring.
//
//	sim pump ──► agent.Run (demo model, builtin:demo) ──► embedded broker
//	                 │ OnScore / OnEvent
//	                 ▼
//	             terminal lines
package demo
