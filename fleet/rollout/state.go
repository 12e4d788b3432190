package rollout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// Phase is where the whole rollout stands.
type Phase string

const (
	PhaseRunning   Phase = "running"
	PhaseAborting  Phase = "aborting" // rollback commands sent, results awaited
	PhaseAborted   Phase = "aborted"
	PhaseCompleted Phase = "completed"
)

// WavePhase is where one wave stands.
type WavePhase string

const (
	WavePending   WavePhase = "pending"
	WaveDeploying WavePhase = "deploying" // model.deploy about to be sent
	WaveWaiting   WavePhase = "waiting"   // sent, final results awaited
	// WaveShadowing: the candidate scores in shadow beside the champion
	// until ShadowUntil while the comparison figures come in.
	WaveShadowing WavePhase = "shadowing"
	// WavePromoting: model.promote (criteria met) and model.discard (not
	// met) sent, their results awaited.
	WavePromoting WavePhase = "promoting"
	WaveSoaking   WavePhase = "soaking"
	WavePromoted  WavePhase = "promoted"
	WaveAborted   WavePhase = "aborted"
)

// DeviceState is where one device stands.
type DeviceState string

const (
	DevicePending        DeviceState = "pending"
	DeviceSent           DeviceState = "sent"
	DeviceDone           DeviceState = "done"   // runs the new version
	DeviceFailed         DeviceState = "failed" // failed or rejected the deploy
	DeviceNoAnswer       DeviceState = "no_answer"
	DeviceGate           DeviceState = "gate" // a probation gate rolled it back
	DeviceLost           DeviceState = "lost"
	DeviceRollbackSent   DeviceState = "rollback_sent"
	DeviceRolledBack     DeviceState = "rolled_back"
	DeviceRollbackFailed DeviceState = "rollback_failed"
	// Shadow deployments only.
	DeviceShadow        DeviceState = "shadow" // the candidate scores in shadow
	DevicePromoteSent   DeviceState = "promote_sent"
	DeviceDiscardSent   DeviceState = "discard_sent"
	DeviceDiscarded     DeviceState = "discarded"
	DeviceDiscardFailed DeviceState = "discard_failed"
)

// Duration is a time.Duration written as "10m0s" in JSON.
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Bundle names what is rolled out; the model.deploy args are built from it.
type Bundle struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
}

// Policy is when a wave is promoted and when the rollout stops.
type Policy struct {
	// MaxFailed is the share (0 to 1) of a wave's devices that may fail or
	// not answer; one more aborts.
	MaxFailed float64 `json:"max_failed"`
	// Soak is how long a wave is watched after its results before the next.
	Soak Duration `json:"soak"`
	// ResultTimeout bounds the wait for the results of a wave's commands.
	ResultTimeout Duration `json:"result_timeout"`
	// LostAfter, when positive, counts a changed device lost when nothing
	// was heard from it for this long; an offline status always counts.
	LostAfter Duration `json:"lost_after,omitempty"`
	// Shadow, when set, runs each wave's candidate in shadow first and
	// promotes only the devices whose comparison meets its criteria.
	Shadow *ShadowPolicy `json:"shadow,omitempty"`
}

// ShadowPolicy is the shadow phase of every wave: the candidate runs
// beside the champion for Duration, then a device is promoted when its
// last reported comparison covers at least MinWindows windows, agrees on
// the alert state in at least MinAgreement of them and, with MaxP95Diff,
// has a p95 absolute score difference of at most that and no non-finite
// candidate score. A device that misses them counts as failed.
type ShadowPolicy struct {
	Duration     Duration `json:"duration"`
	MinWindows   int64    `json:"min_windows"`
	MinAgreement float64  `json:"min_agreement"`
	MaxP95Diff   *float64 `json:"max_p95_diff,omitempty"`
}

// Verdict is why figures f miss the criteria, "" when they meet them.
func (p *ShadowPolicy) Verdict(f *ShadowFigures) string {
	switch {
	case f == nil:
		return "no shadow comparison reported"
	case f.Windows < p.MinWindows:
		return fmt.Sprintf("%d windows compared, want at least %d", f.Windows, p.MinWindows)
	case f.Agreement < p.MinAgreement:
		return fmt.Sprintf("agreement %.4f below %.4g", f.Agreement, p.MinAgreement)
	case p.MaxP95Diff != nil && f.NonFinite > 0:
		return fmt.Sprintf("%d windows with a non-finite candidate score", f.NonFinite)
	case p.MaxP95Diff != nil && f.P95Diff > *p.MaxP95Diff:
		return fmt.Sprintf("p95 |score difference| %.4g above %.4g", f.P95Diff, *p.MaxP95Diff)
	}
	return ""
}

func (p *ShadowPolicy) validate() error {
	switch {
	case p.Duration <= 0:
		return errors.New("field \"policy.shadow.duration\" must be positive")
	case p.MinWindows < 1:
		return fmt.Errorf("field \"policy.shadow.min_windows\" is %d, want at least 1", p.MinWindows)
	case !(p.MinAgreement >= 0 && p.MinAgreement <= 1):
		return fmt.Errorf("field \"policy.shadow.min_agreement\" is %g, want 0 to 1", p.MinAgreement)
	case p.MaxP95Diff != nil && !(*p.MaxP95Diff >= 0 && !math.IsInf(*p.MaxP95Diff, 0)):
		return fmt.Errorf("field \"policy.shadow.max_p95_diff\" is %g, want a finite number >= 0", *p.MaxP95Diff)
	}
	return nil
}

// ShadowFigures is a device's shadow comparison as it last reported it
// (a shadow event), and the verdict at the end of the shadow phase.
type ShadowFigures struct {
	fleet.ShadowStatus
	At time.Time `json:"at"`
	// Verdict is "pass" or "fail" once the shadow phase has ended.
	Verdict string `json:"verdict,omitempty"`
}

// Wave is one step of the rollout.
type Wave struct {
	Percent   float64   `json:"percent"`
	Devices   []string  `json:"devices"`
	Phase     WavePhase `json:"phase"`
	Since     time.Time `json:"since,omitzero"` // when Phase was entered
	SoakUntil time.Time `json:"soak_until,omitzero"`
	// ShadowUntil ends the wave's shadow phase (Policy.Shadow).
	ShadowUntil time.Time `json:"shadow_until,omitzero"`
}

// Device is one device's part in the rollout.
type Device struct {
	Wave  int         `json:"wave"`
	State DeviceState `json:"state"`
	// Command is the id of the last command sent to it.
	Command string `json:"command,omitempty"`
	// Changed is set once the device reported the new version.
	Changed  bool      `json:"changed,omitempty"`
	Error    string    `json:"error,omitempty"`
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Shadow is the device's last shadow comparison (Policy.Shadow).
	Shadow *ShadowFigures `json:"shadow,omitempty"`
}

// Version of the persisted State.
const Version = 1

// State is the whole rollout, as retained on axle/rollouts/<id>.
type State struct {
	V         int                `json:"v"`
	ID        string             `json:"id"`
	Bundle    Bundle             `json:"bundle"`
	Policy    Policy             `json:"policy"`
	Waves     []Wave             `json:"waves"`
	Devices   map[string]*Device `json:"devices"`
	Phase     Phase              `json:"phase"`
	Wave      int                `json:"wave"` // index of the current wave
	Reason    string             `json:"reason,omitempty"`
	AbortedAt time.Time          `json:"aborted_at,omitzero"`
	// Driver names the operator process driving the rollout; a process
	// seeing another driver's state stops, so resume and abort from
	// another shell take over.
	Driver    string    `json:"driver,omitempty"`
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Action is a command the driver must send now: Verb with the same
// Command id to each of Devices.
type Action struct {
	// Verb is fleet.VerbModelDeploy, VerbModelRollback, VerbModelPromote
	// or VerbModelDiscard.
	Verb    string
	Command string
	Wave    int
	Devices []string
}

const (
	verbDeploy   = fleet.VerbModelDeploy
	verbRollback = fleet.VerbModelRollback
	verbPromote  = fleet.VerbModelPromote
	verbDiscard  = fleet.VerbModelDiscard
)

// New plans a rollout of b to devices in the cumulative waves (percent).
func New(id string, b Bundle, devices []string, waves []float64, p Policy, now time.Time) (*State, error) {
	if err := checkWaves(waves); err != nil {
		return nil, err
	}
	if len(devices) == 0 {
		return nil, fmt.Errorf("rollout %s: no devices to roll out to", id)
	}
	s := &State{V: Version, ID: id, Bundle: b, Policy: p, Devices: map[string]*Device{},
		Phase: PhaseRunning, StartedAt: now.UTC(), UpdatedAt: now.UTC()}
	for i, ds := range Assign(devices, waves) {
		s.Waves = append(s.Waves, Wave{Percent: waves[i], Devices: ds, Phase: WavePending})
		for _, d := range ds {
			s.Devices[d] = &Device{Wave: i, State: DevicePending}
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Done reports whether nothing is left to do.
func (s *State) Done() bool { return s.Phase == PhaseAborted || s.Phase == PhaseCompleted }

// Changed lists the devices that run, or may run, the new version and
// must be rolled back on abort, sorted.
func (s *State) Changed() []string {
	var out []string
	for id, d := range s.Devices {
		if d.Changed && d.State != DeviceGate {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (s *State) touch(now time.Time) { s.UpdatedAt = now.UTC() }

// Result records a final result (done, failed or rejected) of command cmd
// from device. It reports whether the state changed; results for other
// commands and repeats are ignored.
func (s *State) Result(device, cmd, status, errText string, now time.Time) bool {
	d := s.Devices[device]
	if d == nil || d.Command != cmd {
		return false
	}
	d.LastSeen = now.UTC()
	switch d.State {
	case DeviceSent:
		switch {
		case status != "done":
			d.State, d.Error = DeviceFailed, status+": "+errText
		case s.Policy.Shadow != nil:
			// The candidate scores beside the champion; nothing changed yet.
			d.State, d.Error = DeviceShadow, ""
		default:
			d.State, d.Changed, d.Error = DeviceDone, true, ""
		}
	case DevicePromoteSent:
		if status == "done" {
			d.State, d.Changed, d.Error = DeviceDone, true, ""
		} else {
			d.State, d.Error = DeviceFailed, "promote: "+status+": "+errText
		}
	case DeviceDiscardSent:
		switch status {
		case "done":
			d.State = DeviceDiscarded
		case "rejected":
			// Nothing runs in shadow any more (a restart of the agent ends a
			// shadow run, or an earlier discard got through): discarded.
			d.State = DeviceDiscarded
			d.Error = joinErr(d.Error, "discard: "+errText)
		default:
			d.State, d.Error = DeviceDiscardFailed, joinErr(d.Error, "discard: "+status+": "+errText)
		}
	case DeviceRollbackSent:
		if status == "done" {
			d.State, d.Changed, d.Error = DeviceRolledBack, false, ""
		} else {
			d.State, d.Error = DeviceRollbackFailed, status+": "+errText
		}
	default:
		return false
	}
	s.touch(now)
	return true
}

func joinErr(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// ShadowReport records a device's shadow comparison for the bundle's
// version: from a shadow event (full, the figures are kept) or from its
// status (only that the candidate runs in shadow, for a lost result).
func (s *State) ShadowReport(device string, st fleet.ShadowStatus, full bool, now time.Time) bool {
	d := s.Devices[device]
	if d == nil || s.Policy.Shadow == nil || st.Version != s.Bundle.Version || s.Done() {
		return false
	}
	changed := false
	if d.State == DeviceSent || d.State == DeviceNoAnswer {
		// Its result was lost; an abort under way then discards it.
		d.State, d.Error, changed = DeviceShadow, "", true
	}
	if full && d.State == DeviceShadow && s.Phase == PhaseRunning {
		d.Shadow = &ShadowFigures{ShadowStatus: st, At: now.UTC()}
		changed = true
	}
	if changed {
		s.touch(now)
	}
	return changed
}

// Gate records a probation gate tripped on device for version.
func (s *State) Gate(device, version, gate string, now time.Time) bool {
	d := s.Devices[device]
	if d == nil || version != s.Bundle.Version || d.State == DevicePending || d.State == DeviceGate {
		return false
	}
	d.State, d.Error, d.LastSeen = DeviceGate, "probation gate "+gate+" tripped", now.UTC()
	s.touch(now)
	return true
}

// Offline records an offline status of device; only a device already sent
// the new version counts as lost.
func (s *State) Offline(device, reason string, now time.Time) bool {
	d := s.Devices[device]
	if d == nil || s.Phase != PhaseRunning {
		return false
	}
	switch d.State {
	case DeviceSent, DeviceDone, DeviceShadow, DevicePromoteSent:
	default:
		return false
	}
	if (d.State == DeviceShadow || d.State == DevicePromoteSent) && d.Shadow == nil {
		// Marks a candidate that may still be in shadow, for the abort.
		d.Shadow = &ShadowFigures{ShadowStatus: fleet.ShadowStatus{Version: s.Bundle.Version}}
	}
	d.State, d.Error = DeviceLost, "offline: "+reason
	s.touch(now)
	return true
}

// Seen records that something was heard from device at t. It does not
// change the persisted state enough to be worth publishing.
func (s *State) Seen(device string, t time.Time) {
	if d := s.Devices[device]; d != nil && t.After(d.LastSeen) {
		d.LastSeen = t.UTC()
	}
}

// Reported records the model version device reports in its status: a
// device showing the new version has changed whatever results were lost.
func (s *State) Reported(device, version string, now time.Time) bool {
	d := s.Devices[device]
	if d == nil || version != s.Bundle.Version || d.Changed {
		return false
	}
	d.Changed = true
	switch d.State {
	case DeviceSent, DeviceNoAnswer, DeviceShadow, DevicePromoteSent:
		d.State, d.Error = DeviceDone, ""
	}
	s.touch(now)
	return true
}

// Abort stops the rollout for reason; Advance then sends the rollbacks.
func (s *State) Abort(reason string, now time.Time) bool {
	if s.Phase != PhaseRunning {
		return false
	}
	s.Phase, s.Reason, s.AbortedAt = PhaseAborting, reason, now.UTC()
	if s.Wave < len(s.Waves) {
		s.Waves[s.Wave].Phase, s.Waves[s.Wave].Since = WaveAborted, now.UTC()
	}
	s.touch(now)
	return true
}

// Resend gives every device that was sent a command without answering a
// fresh command id, for a driver that lost track of what reached the
// devices (a resumed rollout): commands are deduplicated by id on the
// device, so a repeat of the same id would get no result.
func (s *State) Resend(now time.Time) []Action { return s.ResendExcept(now, nil) }

// ResendExcept is Resend but for the deploys to the devices in deploying,
// which report the deployment of this version still in progress: a second
// deploy would be refused while the first one's result, under the id the
// state keeps, is still to come.
func (s *State) ResendExcept(now time.Time, deploying map[string]bool) []Action {
	var out []Action
	verbs := map[DeviceState]string{DeviceSent: verbDeploy, DeviceRollbackSent: verbRollback,
		DevicePromoteSent: verbPromote, DeviceDiscardSent: verbDiscard}
	for _, st := range []DeviceState{DeviceSent, DevicePromoteSent, DeviceDiscardSent, DeviceRollbackSent} {
		for w := range s.Waves {
			var ds []string
			for _, id := range s.Waves[w].Devices {
				if s.Devices[id].State == st && !(st == DeviceSent && deploying[id]) {
					ds = append(ds, id)
				}
			}
			if len(ds) == 0 {
				continue
			}
			verb := verbs[st]
			a := Action{Verb: verb, Command: s.commandID(verb, w, now), Wave: w, Devices: ds}
			for _, id := range ds {
				s.Devices[id].Command = a.Command
			}
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		s.touch(now)
	}
	return out
}

func (s *State) commandID(verb string, wave int, now time.Time) string {
	_, kind, _ := strings.Cut(verb, ".") // model.deploy -> deploy
	return s.ID + "." + kind + ".w" + strconv.Itoa(wave+1) + "." + strconv.FormatInt(now.UnixMilli(), 36)
}

// Advance moves the rollout on at now and returns the commands to send.
// The driver sends them (their devices are already marked sent) and
// publishes the state.
func (s *State) Advance(now time.Time) []Action {
	switch s.Phase {
	case PhaseRunning:
		return s.advanceWave(now)
	case PhaseAborting:
		return s.advanceAbort(now)
	}
	return nil
}

func (s *State) advanceWave(now time.Time) []Action {
	w := &s.Waves[s.Wave]
	if w.Phase == WavePending {
		w.Phase, w.Since = WaveDeploying, now.UTC()
		s.touch(now)
	}
	if w.Phase == WaveDeploying {
		a := Action{Verb: verbDeploy, Command: s.commandID(verbDeploy, s.Wave, now), Wave: s.Wave}
		for _, id := range w.Devices {
			if d := s.Devices[id]; d.State == DevicePending {
				d.State, d.Command = DeviceSent, a.Command
				a.Devices = append(a.Devices, id)
			}
		}
		w.Phase, w.Since = WaveWaiting, now.UTC()
		s.touch(now)
		if len(a.Devices) > 0 {
			return []Action{a}
		}
	}
	if a := s.discardLate(now); len(a.Devices) > 0 {
		return []Action{a}
	}
	if reason := s.abortReason(now); reason != "" {
		s.Abort(reason, now)
		return s.advanceAbort(now)
	}
	switch w.Phase {
	case WaveWaiting:
		waiting := 0
		for _, id := range w.Devices {
			if s.Devices[id].State == DeviceSent {
				waiting++
			}
		}
		if waiting > 0 && now.Before(w.Since.Add(time.Duration(s.Policy.ResultTimeout))) {
			return nil
		}
		if waiting > 0 {
			for _, id := range w.Devices {
				if d := s.Devices[id]; d.State == DeviceSent {
					d.State, d.Error = DeviceNoAnswer, "no result within "+time.Duration(s.Policy.ResultTimeout).String()
				}
			}
			s.touch(now)
			if reason := s.abortReason(now); reason != "" {
				s.Abort(reason, now)
				return s.advanceAbort(now)
			}
		}
		if s.Policy.Shadow != nil {
			w.Phase, w.Since, w.ShadowUntil = WaveShadowing, now.UTC(), now.Add(time.Duration(s.Policy.Shadow.Duration)).UTC()
			s.touch(now)
			return s.advanceShadow(now)
		}
		return s.startSoak(now)
	case WaveShadowing:
		return s.advanceShadow(now)
	case WavePromoting:
		waiting := 0
		for _, id := range w.Devices {
			if st := s.Devices[id].State; st == DevicePromoteSent || st == DeviceDiscardSent {
				waiting++
			}
		}
		if waiting > 0 && now.Before(w.Since.Add(time.Duration(s.Policy.ResultTimeout))) {
			return nil
		}
		if waiting > 0 {
			timeout := time.Duration(s.Policy.ResultTimeout).String()
			for _, id := range w.Devices {
				switch d := s.Devices[id]; d.State {
				case DevicePromoteSent:
					d.State, d.Error = DeviceNoAnswer, "no promote result within "+timeout
				case DeviceDiscardSent:
					d.State, d.Error = DeviceDiscardFailed, joinErr(d.Error, "no discard result within "+timeout)
				}
			}
			s.touch(now)
			if reason := s.abortReason(now); reason != "" {
				s.Abort(reason, now)
				return s.advanceAbort(now)
			}
		}
		return s.startSoak(now)
	case WaveSoaking:
		return s.endSoak(now)
	}
	return nil
}

// discardLate discards the candidates found in shadow (by a status, after
// the deploy's result timed out) on devices whose wave is past its
// verdict: nothing would promote or discard them otherwise. They stay
// counted as failed.
func (s *State) discardLate(now time.Time) Action {
	a := Action{Verb: verbDiscard, Command: s.commandID(verbDiscard, s.Wave, now), Wave: s.Wave}
	for w := 0; w <= s.Wave; w++ {
		if p := s.Waves[w].Phase; p == WaveWaiting || p == WaveShadowing {
			continue
		}
		for _, id := range s.Waves[w].Devices {
			d := s.Devices[id]
			if d.State != DeviceShadow {
				continue
			}
			if d.Shadow == nil {
				d.Shadow = &ShadowFigures{ShadowStatus: fleet.ShadowStatus{Version: s.Bundle.Version}}
			}
			d.Shadow.Verdict = "fail"
			d.State, d.Command, d.Error = DeviceDiscardSent, a.Command, "in shadow, reported after the wave's verdict"
			a.Devices = append(a.Devices, id)
		}
	}
	if len(a.Devices) > 0 {
		s.touch(now)
	}
	return a
}

// advanceShadow ends the current wave's shadow phase at ShadowUntil: each
// device in shadow gets its verdict from its last figures, then
// model.promote when it passed and model.discard when it did not (or the
// rollout aborts on the failed share).
func (s *State) advanceShadow(now time.Time) []Action {
	w := &s.Waves[s.Wave]
	if now.Before(w.ShadowUntil) {
		return nil
	}
	for _, id := range w.Devices {
		d := s.Devices[id]
		if d.State != DeviceShadow {
			continue
		}
		why := s.Policy.Shadow.Verdict(d.Shadow)
		if d.Shadow == nil {
			d.Shadow = &ShadowFigures{ShadowStatus: fleet.ShadowStatus{Version: s.Bundle.Version}}
		}
		d.Shadow.Verdict = "pass"
		if why != "" {
			d.Shadow.Verdict, d.Error = "fail", "shadow criteria not met: "+why
		}
	}
	w.Phase, w.Since = WavePromoting, now.UTC()
	s.touch(now)
	if reason := s.abortReason(now); reason != "" {
		s.Abort(reason, now)
		return s.advanceAbort(now)
	}
	promote := Action{Verb: verbPromote, Command: s.commandID(verbPromote, s.Wave, now), Wave: s.Wave}
	discard := Action{Verb: verbDiscard, Command: s.commandID(verbDiscard, s.Wave, now), Wave: s.Wave}
	for _, id := range w.Devices {
		d := s.Devices[id]
		if d.State != DeviceShadow {
			continue
		}
		if d.Shadow.Verdict == "pass" {
			d.State, d.Command = DevicePromoteSent, promote.Command
			promote.Devices = append(promote.Devices, id)
		} else {
			d.State, d.Command = DeviceDiscardSent, discard.Command
			discard.Devices = append(discard.Devices, id)
		}
	}
	var out []Action
	for _, a := range []Action{discard, promote} {
		if len(a.Devices) > 0 {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		return out
	}
	return s.advanceWave(now)
}

// startSoak starts the current wave's soak once its devices have changed.
func (s *State) startSoak(now time.Time) []Action {
	w := &s.Waves[s.Wave]
	w.Phase, w.Since, w.SoakUntil = WaveSoaking, now.UTC(), now.Add(time.Duration(s.Policy.Soak)).UTC()
	s.touch(now)
	return s.endSoak(now)
}

// endSoak promotes the current wave at the end of its soak and starts the
// next one.
func (s *State) endSoak(now time.Time) []Action {
	w := &s.Waves[s.Wave]
	if now.Before(w.SoakUntil) {
		return nil
	}
	w.Phase, w.Since = WavePromoted, now.UTC()
	s.touch(now)
	if s.Wave == len(s.Waves)-1 {
		s.Phase = PhaseCompleted
		return nil
	}
	s.Wave++
	return s.advanceWave(now)
}

// abortReason checks the abort criteria over the waves deployed so far.
func (s *State) abortReason(now time.Time) string {
	for w := 0; w <= s.Wave; w++ {
		for _, id := range s.Waves[w].Devices {
			d := s.Devices[id]
			switch {
			case d.State == DeviceGate:
				return fmt.Sprintf("device %s: %s", id, d.Error)
			case d.State == DeviceLost:
				return fmt.Sprintf("device %s lost: %s", id, d.Error)
			case s.Policy.LostAfter > 0 && (d.State == DeviceDone || d.State == DeviceShadow) && !d.LastSeen.IsZero() &&
				now.Sub(d.LastSeen) > time.Duration(s.Policy.LostAfter):
				d.State, d.Error = DeviceLost, "nothing heard since "+d.LastSeen.Format(time.RFC3339)
				return fmt.Sprintf("device %s lost: %s", id, d.Error)
			}
		}
	}
	w := s.Waves[s.Wave]
	bad := 0
	for _, id := range w.Devices {
		d := s.Devices[id]
		if d.State == DeviceFailed || d.State == DeviceNoAnswer || (d.Shadow != nil && d.Shadow.Verdict == "fail") {
			bad++
		}
	}
	if n := len(w.Devices); n > 0 && float64(bad)/float64(n) > s.Policy.MaxFailed {
		return fmt.Sprintf("wave %d: %d of %d devices failed (%.1f%%, limit %.1f%%)", s.Wave+1, bad, n,
			100*float64(bad)/float64(n), 100*s.Policy.MaxFailed)
	}
	return ""
}

func (s *State) advanceAbort(now time.Time) []Action {
	rollback := Action{Verb: verbRollback, Command: s.commandID(verbRollback, s.Wave, now), Wave: s.Wave}
	discard := Action{Verb: verbDiscard, Command: s.commandID(verbDiscard, s.Wave, now), Wave: s.Wave}
	waiting := 0
	for _, id := range s.sortedDevices() {
		d := s.Devices[id]
		switch {
		case d.Changed && (d.State == DeviceDone || d.State == DeviceLost || d.State == DeviceNoAnswer || d.State == DeviceSent):
			d.State, d.Command = DeviceRollbackSent, rollback.Command
			rollback.Devices = append(rollback.Devices, id)
		case d.State == DeviceShadow || (d.State == DeviceLost && !d.Changed && d.Shadow != nil):
			// A lost device gets it when it is back (its session keeps it).
			d.State, d.Command = DeviceDiscardSent, discard.Command
			discard.Devices = append(discard.Devices, id)
		}
		// A deploy or promote still unanswered may yet change the device:
		// wait for it too, and roll it back (or discard) if it does.
		switch d.State {
		case DeviceRollbackSent, DeviceSent, DevicePromoteSent, DeviceDiscardSent:
			waiting++
		}
	}
	var out []Action
	for _, a := range []Action{discard, rollback} {
		if len(a.Devices) > 0 {
			out = append(out, a)
		}
	}
	if len(out) > 0 {
		s.touch(now)
		return out
	}
	if waiting > 0 && now.Before(s.AbortedAt.Add(time.Duration(s.Policy.ResultTimeout))) {
		return nil
	}
	timeout := time.Duration(s.Policy.ResultTimeout).String()
	for _, d := range s.Devices {
		switch d.State {
		case DeviceRollbackSent:
			d.State, d.Error = DeviceRollbackFailed, "no rollback result within "+timeout
		case DeviceSent, DevicePromoteSent:
			d.State, d.Error = DeviceNoAnswer, "no result within "+timeout
		case DeviceDiscardSent:
			d.State, d.Error = DeviceDiscardFailed, joinErr(d.Error, "no discard result within "+timeout)
		}
	}
	s.Phase = PhaseAborted
	s.touch(now)
	return nil
}

func (s *State) sortedDevices() []string {
	ids := make([]string, 0, len(s.Devices))
	for id := range s.Devices {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Deadline is the next time Advance has something to do without any new
// input (a result timeout or the end of a soak); zero when done.
func (s *State) Deadline() time.Time {
	switch s.Phase {
	case PhaseAborting:
		return s.AbortedAt.Add(time.Duration(s.Policy.ResultTimeout))
	case PhaseRunning:
		w := s.Waves[s.Wave]
		switch w.Phase {
		case WaveWaiting, WavePromoting:
			return w.Since.Add(time.Duration(s.Policy.ResultTimeout))
		case WaveShadowing:
			return w.ShadowUntil
		case WaveSoaking:
			return w.SoakUntil
		}
	}
	return time.Time{}
}

// Counts tallies the devices of wave w by state.
func (s *State) Counts(w int) map[DeviceState]int {
	out := map[DeviceState]int{}
	for _, id := range s.Waves[w].Devices {
		out[s.Devices[id].State]++
	}
	return out
}

// MaxStateBytes bounds a retained rollout state before it is decoded
// (10,000 devices take about 1.75 MB).
const MaxStateBytes = 8 << 20

// Encode returns the JSON form of s.
func (s *State) Encode() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("rollout %s: encode: %w", s.ID, err)
	}
	return b, nil
}

// Decode parses a persisted state strictly and validates it.
func Decode(b []byte) (*State, error) {
	if len(b) > MaxStateBytes {
		return nil, fmt.Errorf("rollout: state is %d bytes, limit %d", len(b), MaxStateBytes)
	}
	var s State
	if err := decodeStrict(b, &s); err != nil {
		return nil, fmt.Errorf("rollout: decode state: %w", err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Validate checks the invariants Advance relies on; errors name the field.
func (s *State) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rollout %s: state: "+format, append([]any{s.ID}, args...)...)
	}
	if s.V != Version {
		return bad("field \"v\" is %d, want %d", s.V, Version)
	}
	if err := fleet.ValidID(s.ID); err != nil {
		return bad("field \"id\": %v", err)
	}
	switch s.Phase {
	case PhaseRunning, PhaseAborting, PhaseAborted, PhaseCompleted:
	default:
		return bad("field \"phase\": unknown phase %q", s.Phase)
	}
	if math.IsNaN(s.Policy.MaxFailed) || s.Policy.MaxFailed < 0 || s.Policy.MaxFailed > 1 {
		return bad("field \"policy.max_failed\" is %g, want 0 to 1", s.Policy.MaxFailed)
	}
	if s.Policy.Soak < 0 || s.Policy.ResultTimeout <= 0 || s.Policy.LostAfter < 0 {
		return bad("field \"policy\": soak and lost_after must not be negative, result_timeout must be positive")
	}
	if s.Policy.Shadow != nil {
		if err := s.Policy.Shadow.validate(); err != nil {
			return bad("%v", err)
		}
	}
	ws := make([]float64, len(s.Waves))
	for i, w := range s.Waves {
		ws[i] = w.Percent
	}
	if err := checkWaves(ws); err != nil {
		return bad("field \"waves\": %v", err)
	}
	if s.Wave < 0 || s.Wave >= len(s.Waves) {
		return bad("field \"wave\" is %d, want 0 to %d", s.Wave, len(s.Waves)-1)
	}
	seen := 0
	for i, w := range s.Waves {
		switch w.Phase {
		case WavePending, WaveDeploying, WaveWaiting, WaveSoaking, WavePromoted, WaveAborted:
		case WaveShadowing, WavePromoting:
			if s.Policy.Shadow == nil {
				return bad("field \"waves[%d].phase\": %q needs \"policy.shadow\"", i, w.Phase)
			}
		default:
			return bad("field \"waves[%d].phase\": unknown phase %q", i, w.Phase)
		}
		for _, id := range w.Devices {
			d := s.Devices[id]
			if d == nil || d.Wave != i {
				return bad("field \"waves[%d].devices\": device %q has no entry in \"devices\" for this wave", i, id)
			}
			seen++
		}
	}
	if seen != len(s.Devices) {
		return bad("field \"devices\": %d devices, the waves list %d", len(s.Devices), seen)
	}
	for id, d := range s.Devices {
		switch d.State {
		case DevicePending, DeviceSent, DeviceDone, DeviceFailed, DeviceNoAnswer, DeviceGate, DeviceLost,
			DeviceRollbackSent, DeviceRolledBack, DeviceRollbackFailed:
		case DeviceShadow, DevicePromoteSent, DeviceDiscardSent, DeviceDiscarded, DeviceDiscardFailed:
			if s.Policy.Shadow == nil {
				return bad("field \"devices.%s.state\": %q needs \"policy.shadow\"", id, d.State)
			}
		default:
			return bad("field \"devices.%s.state\": unknown state %q", id, d.State)
		}
	}
	return nil
}

func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
