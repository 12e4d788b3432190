package delivery

// SetDrainRate changes Options.DrainRate (records/s, 0 = unlimited) at run
// time; it takes effect at the next connection's backlog drain.
func (e *Engine) SetDrainRate(rate float64) {
	rate = max(rate, 0)
	e.drainRate.Store(&rate)
}

func (e *Engine) drain() float64 {
	if r := e.drainRate.Load(); r != nil {
		return *r
	}
	return e.opts.DrainRate
}
