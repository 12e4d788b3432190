package uplink

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// subscriptions are the command filters, Config.Subscribe until
// SetSubscriptions changes them. The session is persistent (clean session
// off), so a filter given up must be unsubscribed: at once when connected,
// else at the next connection (drop).
type subscriptions struct {
	mu   sync.Mutex
	set  []string // nil: Config.Subscribe
	drop []string
}

// current is what to subscribe and unsubscribe now.
func (s *subscriptions) current(initial []string) (want, drop []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want = s.set
	if want == nil {
		want = initial
	}
	return slices.Clone(want), slices.Clone(s.drop)
}

// dropped forgets filters unsubscribed, unless they were wanted again since.
func (s *subscriptions) dropped(done []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop = slices.DeleteFunc(s.drop, func(f string) bool { return slices.Contains(done, f) })
}

// SetSubscriptions replaces the subscribed filters (Config.Subscribe) at run
// time: on the current connection if there is one, and on every connection
// after. Filters no longer listed are unsubscribed. An error names a bad
// filter, a refusal by the broker or a failure to reach it; the new set is
// kept and made at the next connection either way (but for a bad filter).
func (c *Client) SetSubscriptions(ctx context.Context, filters []string) error {
	for i, f := range filters {
		if err := checkFilter(f); err != nil {
			return fmt.Errorf("uplink: subscriptions[%d] %q: %w", i, f, err)
		}
	}
	s := &c.subs
	s.mu.Lock()
	old := s.set
	if old == nil {
		old = c.cfg.Subscribe
	}
	for _, f := range old {
		if !slices.Contains(filters, f) && !slices.Contains(s.drop, f) {
			s.drop = append(s.drop, f)
		}
	}
	s.drop = slices.DeleteFunc(s.drop, func(f string) bool { return slices.Contains(filters, f) })
	s.set = append(make([]string, 0, len(filters)), filters...)
	s.mu.Unlock()
	cn := c.cur.Load()
	if cn == nil {
		return nil // made at the next connection
	}
	refused, err := c.subscribe(ctx, cn)
	if err != nil {
		return err
	}
	return refused
}

// unsubscribe drops filters on cn.
func (c *Client) unsubscribe(ctx context.Context, cn *conn, filters []string) error {
	tok := cn.cli.Unsubscribe(filters...)
	t := time.NewTimer(c.cfg.ConnectTimeout)
	defer t.Stop()
	select {
	case <-tok.Done():
	case <-cn.lost:
		return cn.err
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return fmt.Errorf("uplink: unsubscribe: no UNSUBACK within %v", c.cfg.ConnectTimeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("uplink: unsubscribe %q: %w", filters, err)
	}
	c.subs.dropped(filters)
	return nil
}
