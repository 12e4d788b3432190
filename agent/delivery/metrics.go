package delivery

import (
	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/uplink"
)

// Metrics flattens the outbox, uplink and engine counters into the values
// of a fleet.Metrics snapshot. Names ending in _total are counters since
// start; the rest are gauges.
func Metrics(out buffer.Stats, up uplink.Stats, p Progress) map[string]float64 {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	eta := p.ETA.Seconds()
	if p.ETA < 0 {
		eta = -1 // unknown: records wait but nothing was acknowledged lately
	}
	return map[string]float64{
		"outbox_records":              float64(out.Records),
		"outbox_scores":               float64(out.Scores),
		"outbox_events":               float64(out.Events),
		"outbox_bytes":                float64(out.Bytes),
		"outbox_file_bytes":           float64(out.FileBytes),
		"outbox_oldest_age_seconds":   out.OldestAge.Seconds(),
		"outbox_appended_total":       float64(out.Appended),
		"outbox_acked_total":          float64(out.Acked),
		"outbox_dropped_scores_total": float64(out.DroppedScores),
		"outbox_dropped_events_total": float64(out.DroppedEvents),
		"outbox_disk_full":            b2f(out.DiskFull),
		"outbox_space_low":            b2f(out.SpaceLow),
		"outbox_disk_full_episodes":   float64(out.DiskFullEpisodes),
		"outbox_reserve_bytes":        float64(out.ReserveBytes),
		"outbox_free_bytes":           float64(out.FreeBytes),

		"mqtt_connected":               b2f(up.Connected),
		"mqtt_publishes_total":         float64(up.Publishes),
		"mqtt_publish_failures_total":  float64(up.Failures),
		"mqtt_reconnects_total":        float64(up.Reconnects),
		"mqtt_connect_failures_total":  float64(up.ConnectFailures),
		"mqtt_inflight":                float64(up.InFlight),
		"mqtt_commands_received_total": float64(up.Received),
		"mqtt_commands_dropped_total":  float64(up.Dropped),

		"backlog_records":                float64(p.Backlog),
		"backlog_draining":               b2f(p.Draining),
		"backlog_rate":                   p.Rate,
		"backlog_eta_seconds":            eta,
		"delivery_sent_total":            float64(p.Sent),
		"delivery_historical_sent_total": float64(p.Historical),
		"delivery_acked_total":           float64(p.Acked),
		"delivery_ack_failures_total":    float64(p.AckFailures),
		"delivery_stalls_total":          float64(p.Stalls),
	}
}
