package agent

import (
	"fmt"
	"time"
)

// healthStall is how long a part may go without progress before the agent
// counts as wedged and stops feeding the systemd watchdog.
const healthStall = time.Minute

// progressSample is one look at the counters that show progress. What
// counts as progress for each part:
//
//   - a pipeline consumed a chunk, or has none queued to consume, or its
//     sensor source ended;
//   - the outbox finished a commit (failed ones too: a full disk is a
//     reported storage state, not a hang), or has none in flight;
//   - delivery had a record acknowledged, or has nothing to send, or waits
//     for a disconnected broker.
type progressSample struct {
	at                          time.Time
	pipes                       []pipeSample
	commitsStarted, commitsDone uint64
	delivered                   uint64 // records acknowledged and removed
	backlog                     int64  // records waiting in the outbox
	connected                   bool
}

type pipeSample struct {
	name     string
	consumed uint64
	queued   int
	finished bool
}

// health remembers when each part last made progress.
type health struct {
	stall      time.Duration
	started    bool
	last       progressSample
	pipeOK     []time.Time
	outboxOK   time.Time
	deliveryOK time.Time
}

// observe takes a sample and returns "" while every part made progress
// within the stall limit, else which part did not.
func (h *health) observe(s progressSample) string {
	if !h.started || len(h.pipeOK) != len(s.pipes) {
		h.started, h.last = true, s
		h.pipeOK = make([]time.Time, len(s.pipes))
		for i := range h.pipeOK {
			h.pipeOK[i] = s.at
		}
		h.outboxOK, h.deliveryOK = s.at, s.at
		return ""
	}
	for i, p := range s.pipes {
		if p.finished || p.queued == 0 || p.consumed != h.last.pipes[i].consumed {
			h.pipeOK[i] = s.at
		}
	}
	if s.commitsDone != h.last.commitsDone || s.commitsStarted == s.commitsDone {
		h.outboxOK = s.at
	}
	if s.delivered != h.last.delivered || s.backlog == 0 || !s.connected {
		h.deliveryOK = s.at
	}
	h.last = s
	for i, t := range h.pipeOK {
		if d := s.at.Sub(t); d > h.stall {
			return fmt.Sprintf("pipeline %q consumed nothing for %v while chunks waited", s.pipes[i].name, d.Round(time.Second))
		}
	}
	if d := s.at.Sub(h.outboxOK); d > h.stall {
		return fmt.Sprintf("an outbox commit has been in progress for %v", d.Round(time.Second))
	}
	if d := s.at.Sub(h.deliveryOK); d > h.stall {
		return fmt.Sprintf("delivery acknowledged nothing for %v while connected with %d records waiting", d.Round(time.Second), s.backlog)
	}
	return ""
}

// sample reads the progress counters of the running agent.
func (a *Agent) sample(now time.Time) progressSample {
	// Done before started, so that started >= done in the sample.
	done := a.commitsDone.Load()
	s := progressSample{at: now, commitsDone: done, commitsStarted: a.commitsStarted.Load(), connected: a.up.Connected()}
	pr := a.deliver.Progress()
	s.delivered, s.backlog = pr.Acked, pr.Backlog
	for _, p := range a.pipes {
		ps := pipeSample{name: p.spec.Name, consumed: p.consumed.Load(), queued: len(p.data)}
		select {
		case <-p.done:
			ps.finished = true
		default:
		}
		s.pipes = append(s.pipes, ps)
	}
	return s
}
